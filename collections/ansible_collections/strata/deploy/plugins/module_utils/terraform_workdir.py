# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A layer's working copy and its fingerprints.

A working copy is local scratch: the layer's configuration (:func:`sync_config`), the modules
beside it (:func:`sync_tree`, in ``<work_dir>/../modules``) and the files strata generates for it
(:func:`write_files`: ``backend.tf``, the input variables), each written only when its bytes
differ. Two fingerprints say what a run may skip: :func:`init_fingerprint` (``init`` runs only
when it changed, :func:`ensure_init`) and :func:`inputs_fingerprint` (everything a plan depends
on besides the remote state: a plan made ahead, or a reviewed plan, is used only while it holds).
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil

from ansible_collections.strata.deploy.plugins.module_utils import files
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import TerraformError

# The plan a run saves and applies in its working copy (it holds the whole state: removed after use).
PLAN_FILE = "strata.tfplan"
INIT_STAMP = os.path.join(".terraform", "strata-init.sha256")
_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]+)"', re.MULTILINE)

# What a layer directory contributes to its working copy: its configuration and the
# provider lock file. Hand-run leftovers (overrides, state, plans, .terraform) never come.
CONFIG_PATTERNS = ("*.tf", ".terraform.lock.hcl")
NEVER_COPIED = ("*_override.tf", "override.tf", "backend.tf")


def _config_files(directory):
    names = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and any(fnmatch.fnmatch(name, p) for p in CONFIG_PATTERNS) \
                and not any(fnmatch.fnmatch(name, p) for p in NEVER_COPIED):
            names.append(name)
    return names


def _write_if_changed(path, data):
    """Write ``data`` to ``path`` (mode 0640) unless it holds exactly those bytes; True when written."""
    return files.write_if_changed(path, data, mode=0o640)


def _copy_if_changed(src, dest):
    """Copy ``src`` (symlinks followed) to ``dest`` unless the bytes are the same; True when copied."""
    with open(src, "rb") as handle:
        return _write_if_changed(dest, handle.read())


def sync_config(source_dir, work_dir):
    """Bring a layer's configuration into its working copy in one step: copy each ``*.tf``
    (shared files reached through symlinks included) and the lock file that differs, and
    remove the ``*.tf`` files the layer no longer has (``backend.tf`` is the runner's own).
    Returns the names that changed."""
    if not os.path.isdir(source_dir) or not _config_files(source_dir):
        raise TerraformError(f"No Terraform files (*.tf) in {source_dir}.")
    os.makedirs(work_dir, mode=0o750, exist_ok=True)
    wanted = _config_files(source_dir)
    changed = [name for name in wanted
               if _copy_if_changed(os.path.join(source_dir, name), os.path.join(work_dir, name))]
    for name in os.listdir(work_dir):
        if name.endswith(".tf") and name != "backend.tf" and name not in wanted:
            os.remove(os.path.join(work_dir, name))
            changed.append(name)
    return changed


def write_files(work_dir, files):
    """Write the files strata generates for the working copy (``{name: text}``: ``backend.tf``,
    the input variables), each only when its bytes differ. Returns the names written."""
    os.makedirs(work_dir, mode=0o750, exist_ok=True)
    written = []
    for name, text in sorted((files or {}).items()):
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise TerraformError(f"files: {name!r} is not a file name in the working copy (expected a name such as backend.tf).")
        if _write_if_changed(os.path.join(work_dir, name), text.encode("utf-8")):
            written.append(name)
    return written


def sync_tree(source_dir, dest_dir):
    """Mirror a directory of modules (``*.tf`` files, one level of module directories)."""
    changed = []
    if not os.path.isdir(source_dir):
        return changed
    for module in sorted(os.listdir(source_dir)):
        src = os.path.join(source_dir, module)
        if os.path.isdir(src):
            changed += [f"{module}/{name}" for name in sync_config(src, os.path.join(dest_dir, module))]
    for module in os.listdir(dest_dir) if os.path.isdir(dest_dir) else []:
        if not os.path.isdir(os.path.join(source_dir, module)):
            shutil.rmtree(os.path.join(dest_dir, module))
            changed.append(module)
    return changed


def modules_beside(work_dir):
    """Where a working copy's local modules live (``../modules/<name>`` from its configuration)."""
    return os.path.join(os.path.dirname(work_dir.rstrip("/")), "modules")


def prepare(work_dir, files=None, source_dir=None, modules_dir=None):
    """Bring the working copy up to date before Terraform starts: the generated ``files``, the
    configuration of ``source_dir`` and the modules of ``modules_dir``. Returns what changed."""
    synced = write_files(work_dir, files) if files else []
    if source_dir:
        synced += sync_config(source_dir, work_dir)
    if modules_dir:
        synced += sync_tree(modules_dir, modules_beside(work_dir))
    return synced


def discard(work_dir, *names):
    """Remove these files of the working copy where they exist (plans hold the whole state)."""
    for name in names:
        path = os.path.join(work_dir, name)
        if os.path.exists(path):
            os.remove(path)


def init_fingerprint(work_dir):
    """What ``init`` depends on: the backend file, the provider lock file and the module
    sources every ``*.tf`` file calls. Module and configuration contents need no init."""
    digest = hashlib.sha256()
    for name in ("backend.tf", ".terraform.lock.hcl"):
        path = os.path.join(work_dir, name)
        digest.update(name.encode())
        if os.path.exists(path):
            with open(path, "rb") as handle:
                digest.update(handle.read())
    sources = set()
    for name in sorted(os.listdir(work_dir)):
        if name.endswith(".tf"):
            with open(os.path.join(work_dir, name), encoding="utf-8") as handle:
                sources.update(_MODULE_SOURCE.findall(handle.read()))
    digest.update("\n".join(sorted(sources)).encode())
    return digest.hexdigest()


def needs_init(work_dir):
    """True unless the last successful ``init`` of this working copy had the same fingerprint."""
    stamp = os.path.join(work_dir, INIT_STAMP)
    if not os.path.exists(stamp):
        return True
    with open(stamp, encoding="utf-8") as handle:
        return handle.read().strip() != init_fingerprint(work_dir)


def record_init(work_dir):
    """Remember that ``init`` succeeded for the working copy as it is now."""
    with open(os.path.join(work_dir, INIT_STAMP), "w", encoding="utf-8") as handle:
        handle.write(init_fingerprint(work_dir) + "\n")


def ensure_init(tf, force=False):
    """``terraform init -reconfigure`` of the runner's working copy, only when :func:`needs_init`
    (or ``force``); True when it ran."""
    if not force and not needs_init(tf.work_dir):
        return False
    tf.init()
    record_init(tf.work_dir)
    return True


def inputs_fingerprint(work_dir):
    """Everything a plan of ``work_dir`` depends on besides the remote states: the
    configuration, the input variables, the backend, the lock file, the last init and the
    modules beside it. A plan made ahead is used only while this is unchanged."""
    digest = hashlib.sha256()
    parent = os.path.dirname(work_dir.rstrip("/"))
    paths = [os.path.join(work_dir, name) for name in sorted(os.listdir(work_dir))
             if name.endswith((".tf", ".tfvars.json")) or name == ".terraform.lock.hcl"]
    paths.append(os.path.join(work_dir, INIT_STAMP))
    for root, dirs, files in os.walk(modules_beside(work_dir)):
        dirs.sort()
        paths += [os.path.join(root, name) for name in sorted(files)]
    for path in paths:
        digest.update(os.path.relpath(path, parent).encode() + b"\0")
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                digest.update(handle.read())
        digest.update(b"\0")
    return digest.hexdigest()
