"""Fidelity patches for moto. Each module in this package names the divergence it corrects
and exposes ``apply()``; ``apply_all()`` applies every one of them once."""
from __future__ import annotations

import importlib
import pkgutil

_applied = False


def apply_all() -> list[str]:
    global _applied
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    if not _applied:
        for name in names:
            importlib.import_module(f"{__name__}.{name}").apply()
        _applied = True
    return names
