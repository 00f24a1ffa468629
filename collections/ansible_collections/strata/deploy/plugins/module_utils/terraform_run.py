# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one Terraform working copy the way strata needs: ``init`` only when the backend,
the lock file or the module calls changed; one saved plan; ``apply`` of exactly that plan
only when it changes something; the outcome read from Terraform's JSON.

The Ansible module (``strata.deploy.terraform_run``) is a thin shell over :func:`run`.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import time

from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp

PLAN_FILE = "strata.tfplan"
INIT_STAMP = os.path.join(".terraform", "strata-init.sha256")
_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]+)"', re.MULTILINE)
_LOCK_INFO = re.compile(r"Lock Info:\s*(.*?)(?:\n\n|\Z)", re.DOTALL)


_EMPTY_SUMMARY = {"add": 0, "change": 0, "destroy": 0, "replace": 0, "move": 0}


class TerraformError(Exception):
    """A failed Terraform command, with the message the user should read."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


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


def _copy_if_changed(src, dest):
    """Copy ``src`` (symlinks followed) to ``dest`` unless the bytes are the same; True when copied."""
    with open(src, "rb") as handle:
        data = handle.read()
    if os.path.exists(dest) and not os.path.islink(dest):
        with open(dest, "rb") as handle:
            if handle.read() == data:
                return False
    tmp = dest + ".strata-tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o640)
    os.replace(tmp, dest)
    return True


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
    return not os.path.exists(stamp) or _read(stamp).strip() != init_fingerprint(work_dir)


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def lock_message(stderr, layer):
    """A clear message for a state lock held by someone else, or None."""
    if "Error acquiring the state lock" not in stderr:
        return None
    info = _LOCK_INFO.search(stderr)
    detail = " ".join(info.group(1).split()) if info else "no details"
    return (f"The {layer} state is locked by another run ({detail}). Wait for that run to finish; "
            f"if it died, release its lock (README, Troubleshooting: stale lock). Nothing was changed.")


class Runner:
    """Terraform commands in one working copy. ``execute(argv) -> (rc, stdout, stderr)``."""

    def __init__(self, execute, terraform, work_dir, layer, lock_timeout):
        self.execute = execute
        self.terraform = terraform
        self.work_dir = work_dir
        self.layer = layer
        self.lock_timeout = lock_timeout
        self.commands = []

    def __call__(self, *args, ok=(0,)):
        argv = [self.terraform] + list(args)
        self.commands.append(" ".join(args[:1]))
        rc, out, err = self.execute(argv)
        if rc not in ok:
            locked = lock_message(err, self.layer)
            message = locked or (
                f"terraform {args[0]} failed for the {self.layer} layer (exit {rc}): "
                + (err.strip() or out.strip())[-3000:])
            raise TerraformError(message, rc=rc, locked=bool(locked), stderr=err[-6000:], stdout=out[-3000:])
        return rc, out

    def init(self, force=False):
        if not force and not needs_init(self.work_dir):
            return False
        self("init", "-reconfigure", "-input=false", "-no-color", f"-lock-timeout={self.lock_timeout}s")
        with open(os.path.join(self.work_dir, INIT_STAMP), "w", encoding="utf-8") as handle:
            handle.write(init_fingerprint(self.work_dir) + "\n")
        return True

    def state_pull(self):
        _unused, out = self("state", "pull")
        return json.loads(out) if out.strip() else {}

    def show_json(self, *args):
        _unused, out = self("show", "-json", "-no-color", *args)
        return json.loads(out) if out.strip() else {}


def data_loss_refusal(layer, summary, allow_replace):
    """The message refusing a plan that destroys or replaces a table or bucket holding data,
    or None when there is none or every such resource is in ``allow_replace``."""
    refused = [item for item in summary["data_loss"] if item["address"] not in allow_replace]
    if not refused:
        return None
    lines = "; ".join(f"{item['address']} ({item['name']}): {item['action']}, because {item['why']}" for item in refused)
    addresses = ",".join(item["address"] for item in refused)
    return (f"Refusing to apply the {layer} layer: its plan would {'/'.join(sorted({i['action'] for i in refused}))} "
            f"resources that hold data: {lines}. Nothing was changed. If this is intended, confirm with "
            f"-e allow_replace={addresses} (strata then backs them up and verifies the backup, applies, and carries "
            f"the items or objects over into each replacement; a protected environment also needs -e confirm_replace=<env>).")


def run(execute, terraform, work_dir, layer, state="present", check_mode=False, lock_timeout=300,
        force_init=False, targets=(), source_dir=None, modules_dir=None, guard_data=None, allow_replace=()):
    """Run the layer in ``work_dir``: ``present`` plans and applies, ``absent`` plans a destroy
    and applies it, ``read`` reads the state only, ``migrate`` moves the state to the backend
    that ``backend.tf`` now names (``init -migrate-state -force-copy``). In check mode nothing
    is applied.
    ``targets`` limits the plan to those resource addresses (Terraform's ``-target``).
    An apply (``present``) whose plan destroys or replaces a table or bucket is refused before
    anything is applied unless its address is in ``allow_replace`` (``guard_data``, on for
    ``present`` by default); a destroy (``absent``) is guarded by its callers instead.
    With ``source_dir`` the layer's configuration is first brought into ``work_dir``, and with
    ``modules_dir`` the modules into ``<work_dir>/../modules`` (see :func:`sync_config`).

    Returns ``changed``, ``action``, ``summary`` (see terraform_plan.summarize_plan; for
    ``read`` only the resources), ``outputs``, ``resources`` (managed resources in the state
    after the run, with the names of those holding data), ``initialised`` and ``commands``.
    """
    started = time.monotonic()
    synced = []
    if source_dir:
        synced = sync_config(source_dir, work_dir)
    if modules_dir:
        synced += sync_tree(modules_dir, os.path.join(os.path.dirname(work_dir.rstrip("/")), "modules"))
    tf = Runner(execute, terraform, work_dir, layer, lock_timeout)
    initialised = False if state == "migrate" else tf.init(force=force_init)
    plan_path = os.path.join(work_dir, PLAN_FILE)
    result = {"initialised": initialised, "applied": False, "synced": synced}
    if state == "migrate":
        # Move the state to the backend backend.tf now names, without a prompt.
        tf("init", "-migrate-state", "-force-copy", "-input=false", "-no-color", f"-lock-timeout={lock_timeout}s")
        with open(os.path.join(work_dir, INIT_STAMP), "w", encoding="utf-8") as handle:
            handle.write(init_fingerprint(work_dir) + "\n")
        result.update(changed=True, action="migrate", outputs={}, resources=[],
                      summary={"add": 0, "change": 0, "destroy": 0, "replace": 0, "move": 0, "changes": [],
                               "data_loss": [], "prior_resources": 0})
    elif state == "drift":
        # A refresh-only plan: what changed outside Terraform. Nothing is applied.
        try:
            rc, _unused = tf("plan", "-refresh-only", "-input=false", "-no-color", "-detailed-exitcode",
                             f"-lock-timeout={lock_timeout}s", f"-out={PLAN_FILE}", ok=(0, 2))
            plan = tf.show_json(PLAN_FILE)
        finally:
            if os.path.exists(plan_path):
                os.remove(plan_path)
        drift = tp.summarize_drift(plan)
        resources = tp.state_resources(plan.get("prior_state"))
        result.update(changed=False, action="drift", drift=drift, outputs=tp.planned_outputs(plan), resources=resources,
                      summary={"add": 0, "change": 0, "destroy": 0, "replace": 0, "move": 0, "changes": [],
                               "data_loss": [], "prior_resources": len(resources)})
    elif state == "read":
        current = tf.state_pull()
        resources = tp.raw_state_resources(current)
        result.update(changed=False, action="read", outputs=tp.raw_state_outputs(current), resources=resources,
                      summary={"add": 0, "change": 0, "destroy": 0, "replace": 0, "move": 0, "changes": [],
                               "data_loss": [], "prior_resources": len(resources)})
    else:
        try:
            args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-lock-timeout={lock_timeout}s",
                    f"-out={PLAN_FILE}"] + (["-destroy"] if state == "absent" else []) + \
                [f"-target={target}" for target in targets]
            rc, _unused = tf(*args, ok=(0, 2))
            if rc == 0:
                # No change at all (resources or outputs): nothing to apply or guard, and the
                # raw state (state pull) says what `show -json` would, at a fraction of its cost.
                raw = tf.state_pull()
                plan = {}
                summary = dict(_EMPTY_SUMMARY, changes=[], data_loss=[],
                               prior_resources=len(tp.raw_state_resources(raw)), outputs=tp.raw_state_outputs(raw))
                resources = tp.raw_state_resources(raw)
            else:
                plan = tf.show_json(PLAN_FILE)
                summary = tp.summarize_plan(plan)
            if guard_data if guard_data is not None else state == "present":
                refusal = data_loss_refusal(layer, summary, allow_replace)
                if refusal:
                    raise TerraformError(refusal, data_loss=summary["data_loss"], summary=summary)
            has_changes = rc == 2
            outputs = summary["outputs"]
            resources = None if rc != 0 else resources
            if has_changes and not check_mode:
                tf("apply", "-input=false", "-no-color", "-auto-approve", f"-lock-timeout={lock_timeout}s", PLAN_FILE)
                result["applied"] = True
                after = tf.state_pull()
                outputs, resources = tp.raw_state_outputs(after), tp.raw_state_resources(after)
        finally:
            if os.path.exists(plan_path):
                os.remove(plan_path)
        if resources is None:
            resources = tp.state_resources(plan.get("prior_state"))
        result.update(
            changed=has_changes,
            action="plan" if check_mode else ("apply" if state == "present" else "destroy"),
            summary=summary, outputs=outputs, resources=resources)
    result["seconds"] = round(time.monotonic() - started, 1)
    result["line"] = tp.summary_line(layer, result["action"], result["summary"], result["seconds"]) \
        if result["action"] != "drift" else \
        f"{layer}: drift {len(result['drift'])} resource(s) changed outside Terraform ({result['seconds']} s)"
    result["commands"] = tf.commands
    return result
