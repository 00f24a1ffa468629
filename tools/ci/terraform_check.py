"""Lint the Terraform layers: ``terraform fmt -check`` and ``terraform validate``.

Each layer is initialised without a backend, with its own TF_DATA_DIR under
.strata/lint, and providers come from a filesystem mirror when the machine has one
(the same discovery the playbooks use).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.strata.deploy.plugins.module_utils import terraform_toolchain as tt  # noqa: E402

LAYERS = ("bootstrap", "stateful", "stateless")
PROVIDER = "registry.terraform.io/hashicorp/aws"
PROVIDER_VERSION = "5.100.0"


def run(args: list[str], cwd: Path, env: dict[str, str]) -> bool:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"FAILED: {' '.join(args)} (in {cwd.relative_to(ROOT)})\n{result.stdout}{result.stderr}")
    return result.returncode == 0


def main() -> int:
    terraform, version = tt.find_terraform("terraform", "1.10")
    work = ROOT / ".strata" / "lint"
    mirror = os.environ.get("STRATA_TF_PROVIDER_MIRROR") or tt.find_mirror(PROVIDER, PROVIDER_VERSION)
    config = work / "cli.tfrc"
    tt.write_if_changed(str(config), tt.render_config(mirror, [PROVIDER], str(ROOT / ".strata/terraform/plugin-cache")), False)
    (ROOT / ".strata/terraform/plugin-cache").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}

    ok = run([terraform, "fmt", "-check", "-recursive", "-diff"], ROOT / "terraform", env)
    for layer in LAYERS:
        layer_dir = ROOT / "terraform" / layer
        layer_env = {**env, "TF_DATA_DIR": str(work / layer)}
        ok = run([terraform, "init", "-backend=false", "-lockfile=readonly", "-no-color"], layer_dir, layer_env) and ok
        ok = run([terraform, "validate", "-no-color"], layer_dir, layer_env) and ok
    print(f"terraform {version}: fmt and validate of {', '.join(LAYERS)}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
