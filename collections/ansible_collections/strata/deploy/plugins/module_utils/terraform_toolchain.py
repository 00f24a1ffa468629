# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Find Terraform, check its version and write a CLI config that installs providers
from a filesystem mirror when one exists (through a plugin cache, so ``init`` links
the provider instead of copying it), and from the registry otherwise."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from ansible_collections.strata.deploy.plugins.module_utils import files

# Where a provider mirror is looked for when none is named: Terraform's own implicit
# local mirror directories, then the usual places for software installed by hand.
DEFAULT_SEARCH_ROOTS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt",
    "/usr/local/share",
    "/usr/share",
)
_MAX_DEPTH = 3


class ToolchainError(Exception):
    """A problem with the Terraform installation, worded for the user."""


def parse_version(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise ToolchainError(f"cannot read a Terraform version from {text!r}")
    return tuple(int(part) for part in match.groups())


def find_terraform(binary: str, min_version: str) -> tuple[str, str]:
    """Return (path, version) of the terraform binary, checking it is new enough."""
    path = shutil.which(os.path.expanduser(binary))
    if not path:
        raise ToolchainError(
            f"terraform binary {binary!r} was not found on PATH; install Terraform "
            f"{min_version} or newer (or set strata_terraform_binary)"
        )
    out = subprocess.run([path, "version"], capture_output=True, text=True, check=False,
                         env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull})
    version = ".".join(str(p) for p in parse_version(out.stdout or out.stderr))
    wanted = tuple(int(part) for part in min_version.split("."))
    if parse_version(version)[: len(wanted)] < wanted:
        raise ToolchainError(f"terraform at {path} is {version}; strata needs {min_version} or newer")
    return path, version


def mirror_has(root: str, provider: str, version: str) -> bool:
    return os.path.isdir(os.path.join(root, provider, version))


def find_mirror(provider: str, version: str, roots=DEFAULT_SEARCH_ROOTS) -> str | None:
    """Return the first directory below ``roots`` (a few levels deep) that is a
    Terraform filesystem mirror holding ``provider`` at ``version``."""
    host = provider.split("/", 1)[0]
    for root in roots:
        root = os.path.expanduser(root)
        if not os.path.isdir(root):
            continue
        base_depth = root.rstrip(os.sep).count(os.sep)
        for dirpath, dirnames, _unused in os.walk(root):
            if host in dirnames and mirror_has(dirpath, provider, version):
                return dirpath
            if dirpath.count(os.sep) - base_depth >= _MAX_DEPTH:
                dirnames[:] = []
            else:
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    return None


def render_config(mirror: str | None, providers: list[str], plugin_cache_dir: str) -> str:
    lines = ["# Written by strata: provider installation for its Terraform runs."]
    if mirror:
        includes = ", ".join(f'"{p}"' for p in providers)
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f"    include = [{includes}]",
            "  }",
            "  direct {",
            f"    exclude = [{includes}]",
            "  }",
            "}",
        ]
    lines.append(f'plugin_cache_dir = "{plugin_cache_dir}"')
    return "\n".join(lines) + "\n"


def write_if_changed(path: str, content: str, check_mode: bool) -> bool:
    """Write the CLI configuration unless it holds ``content`` already (mode 0644: it holds
    no secret); True when written, or in check mode when it would be."""
    return files.write_if_changed(path, content.encode("utf-8"), mode=0o644, check_mode=check_mode)
