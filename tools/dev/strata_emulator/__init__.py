"""strata's local AWS emulator: moto's server with documented fidelity patches."""
