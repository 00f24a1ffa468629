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
import threading
import time
import zipfile

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb
from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp

PLAN_FILE = "strata.tfplan"
# A plan made side by side with an earlier layer's run (see plan_ahead), and its record.
AHEAD_PLAN = "strata.ahead.tfplan"
AHEAD_RECORD = "strata.ahead.json"
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


def write_files(work_dir, files):
    """Write the files strata generates for the working copy (``{name: text}``: ``backend.tf``,
    the input variables), each only when its bytes differ. Returns the names written."""
    os.makedirs(work_dir, mode=0o750, exist_ok=True)
    written = []
    for name, text in sorted((files or {}).items()):
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise TerraformError(f"files: {name!r} is not a file name in the working copy (expected a name such as backend.tf).")
        path = os.path.join(work_dir, name)
        data = text.encode("utf-8")
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as handle:
                if handle.read() == data:
                    continue
        tmp = path + ".strata-tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
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


_LOCK_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created|Info):\s*(.*?)\s*$", re.MULTILINE)


def lock_holder(stderr):
    """The lock Terraform met, from its "Lock Info" block (``id``, ``who``, ``operation``,
    ``created``, ``path``), or None when the error is not a held lock."""
    if "Error acquiring the state lock" not in stderr:
        return None
    info = _LOCK_INFO.search(stderr)
    fields = dict(_LOCK_FIELD.findall(info.group(1))) if info else {}
    return {name.lower(): fields.get(name) or None for name in ("ID", "Who", "Operation", "Created", "Path")}


def lock_message(stderr, layer):
    """A clear message for a state lock held by someone else, or None. The command that
    releases it names the inventory, so the caller adds it (it knows the inventory)."""
    holder = lock_holder(stderr)
    if holder is None:
        return None
    info = _LOCK_INFO.search(stderr)
    detail = " ".join(info.group(1).split()) if info else "no details"
    return (f"The {layer} state is locked by another run ({detail}). Nothing was changed. Wait for that run "
            f"to finish; if it died, release its lock with playbooks/unlock.yml and its ID.")


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
            extra = {"lock": lock_holder(err)} if locked else {}
            raise TerraformError(message, rc=rc, locked=bool(locked), stderr=err[-6000:], stdout=out[-3000:], **extra)
        return rc, out

    def init(self, force=False):
        if not force and not needs_init(self.work_dir):
            return False
        self("init", "-reconfigure", "-input=false", "-no-color", f"-lock-timeout={self.lock_timeout}s")
        with open(os.path.join(self.work_dir, INIT_STAMP), "w", encoding="utf-8") as handle:
            handle.write(init_fingerprint(self.work_dir) + "\n")
        return True

    def plan(self, out, *extra):
        """``terraform plan`` saved to ``out``; the exit code (0: no change, 2: changes)."""
        rc, _unused = self("plan", "-input=false", "-no-color", "-detailed-exitcode",
                           f"-lock-timeout={self.lock_timeout}s", f"-out={out}", *extra, ok=(0, 2))
        return rc

    def apply(self, plan_file):
        """``terraform apply`` of exactly the saved plan ``plan_file``."""
        self("apply", "-input=false", "-no-color", "-auto-approve", f"-lock-timeout={self.lock_timeout}s", plan_file)

    def state_pull(self):
        _unused, out = self("state", "pull")
        return json.loads(out) if out.strip() else {}

    def show_json(self, *args):
        _unused, out = self("show", "-json", "-no-color", *args)
        return json.loads(out) if out.strip() else {}


def plan_state(plan_path):
    """The state a saved plan was made against (the ``tfstate`` member of the plan file, the
    same JSON ``terraform state pull`` prints), or None when the file does not hold one."""
    try:
        with zipfile.ZipFile(plan_path) as plan:
            return json.loads(plan.read("tfstate"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def ahead_fingerprint(work_dir):
    """Everything a plan of ``work_dir`` depends on besides the remote states: the
    configuration, the input variables, the backend, the lock file, the last init and the
    modules beside it. A plan made ahead is used only while this is unchanged."""
    digest = hashlib.sha256()
    modules = os.path.join(os.path.dirname(work_dir.rstrip("/")), "modules")
    paths = [os.path.join(work_dir, name) for name in sorted(os.listdir(work_dir))
             if name.endswith((".tf", ".tfvars.json")) or name == ".terraform.lock.hcl"]
    paths.append(os.path.join(work_dir, INIT_STAMP))
    for root, dirs, files in os.walk(modules):
        dirs.sort()
        paths += [os.path.join(root, name) for name in sorted(files)]
    for path in paths:
        digest.update(os.path.relpath(path, os.path.dirname(work_dir.rstrip("/"))).encode() + b"\0")
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                digest.update(handle.read())
        digest.update(b"\0")
    return digest.hexdigest()


def _discard_ahead(work_dir):
    for name in (AHEAD_PLAN, AHEAD_RECORD):
        path = os.path.join(work_dir, name)
        if os.path.exists(path):
            os.remove(path)


def _plan_one_ahead(execute, terraform, layer, lock_timeout, ahead_id):
    """Plan one later layer in its own working copy, as it stands, into AHEAD_PLAN. Never
    raises: a layer that cannot be planned yet (no working copy, no inputs, a lock held, a
    predecessor missing) is simply planned again in its own turn."""
    work_dir = layer["work_dir"]
    record = {"id": ahead_id, "layer": layer["layer"], "rc": None}
    _discard_ahead(work_dir)
    if not all(os.path.exists(os.path.join(work_dir, name))
               for name in ("backend.tf", "strata.auto.tfvars.json", INIT_STAMP)):
        return dict(record, skipped="no working copy from an earlier run")
    try:
        if layer.get("source_dir"):
            sync_config(layer["source_dir"], work_dir)
        tf = Runner(lambda argv: execute(argv, cwd=work_dir), terraform, work_dir, layer["layer"], lock_timeout)
        if needs_init(work_dir):
            return dict(record, skipped="needs init")
        record["fingerprint"] = ahead_fingerprint(work_dir)
        started = time.monotonic()
        # No lock: a plan made ahead writes nothing, and it is used only when it changes
        # nothing (or in check mode, which applies nothing); an apply always plans again under
        # the lock. So a run killed during these plans leaves no lock on the later layers.
        rc = tf.plan(AHEAD_PLAN, "-lock=false")
        record.update(rc=rc, seconds=round(time.monotonic() - started, 1))
    except (TerraformError, OSError) as exc:
        _discard_ahead(work_dir)
        return dict(record, skipped=getattr(exc, "msg", str(exc))[:300])
    with open(os.path.join(work_dir, AHEAD_RECORD), "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    return record


def plan_ahead(execute, terraform, layers, lock_timeout, ahead_id):
    """Start a plan of each of ``layers`` (``layer``, ``work_dir``, ``source_dir``) in a thread
    of its own; returns the threads and their results (joined by :func:`finish_ahead`).
    ``execute(argv, cwd=...)`` must be safe to call from several threads."""
    results = [None] * len(layers)

    def work(index, layer):
        results[index] = _plan_one_ahead(execute, terraform, layer, lock_timeout, ahead_id)

    threads = [threading.Thread(target=work, args=(index, layer), daemon=True) for index, layer in enumerate(layers)]
    for thread in threads:
        thread.start()
    return threads, results


def finish_ahead(started):
    threads, results = started
    for thread in threads:
        thread.join()
    return results


def take_ahead(work_dir, ahead_id):
    """The exit code of a plan made ahead in this run (``ahead_id``) of this working copy as it
    is now, with the plan moved to PLAN_FILE; None (and the plan discarded) otherwise."""
    path = os.path.join(work_dir, AHEAD_RECORD)
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        record = {}
    usable = (ahead_id and record.get("id") == ahead_id and record.get("rc") in (0, 2)
              and os.path.exists(os.path.join(work_dir, AHEAD_PLAN))
              and record.get("fingerprint") == ahead_fingerprint(work_dir))
    if usable:
        os.replace(os.path.join(work_dir, AHEAD_PLAN), os.path.join(work_dir, PLAN_FILE))
    _discard_ahead(work_dir)
    return record["rc"] if usable else None


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
        force_init=False, targets=(), source_dir=None, modules_dir=None, guard_data=None, allow_replace=(),
        ahead=(), ahead_id="", ahead_ok=True, files=None, plan_out=None, plan_expect=None):
    """Run the layer in ``work_dir``: ``present`` plans and applies, ``absent`` plans a destroy
    and applies it, ``read`` reads the state only, ``migrate`` moves the state to the backend
    that ``backend.tf`` now names (``init -migrate-state -force-copy``). In check mode nothing
    is applied.
    ``targets`` limits the plan to those resource addresses (Terraform's ``-target``).
    An apply (``present``) whose plan destroys or replaces a table or bucket is refused before
    anything is applied unless its address is in ``allow_replace`` (``guard_data``, on for
    ``present`` by default); a destroy (``absent``) is guarded by its callers instead.
    With ``source_dir`` the layer's configuration is first brought into ``work_dir``, and with
    ``modules_dir`` the modules into ``<work_dir>/../modules`` (see :func:`sync_config`);
    ``files`` (``{name: text}``, such as ``backend.tf``) are written into it when they differ.

    Plans side by side: with ``ahead`` (later layers: ``layer``, ``work_dir``, ``source_dir``) and
    ``ahead_id`` (one per playbook run), an apply also plans those layers, as their working copies
    stand, while its own plan runs (``execute`` then takes ``cwd=``). A later run of such a layer
    with the same ``ahead_id`` and ``ahead_ok`` (nothing applied since) uses that plan instead of
    planning again when its working copy is unchanged (:func:`ahead_fingerprint`) and the plan
    changes nothing (or, in check mode, always): the usual no-op redeploy pays for the three
    plans side by side, not one after another.

    Returns ``changed``, ``action``, ``summary`` (see terraform_plan.summarize_plan; for
    ``read`` only the resources), ``outputs``, ``resources`` (managed resources in the state
    after the run, with the names of those holding data), ``initialised`` and ``commands``.
    """
    started = time.monotonic()
    synced = write_files(work_dir, files) if files else []
    if source_dir:
        synced += sync_config(source_dir, work_dir)
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
                      summary=dict(_EMPTY_SUMMARY, changes=[], data_loss=[], prior_resources=0))
    elif state == "drift":
        # A refresh-only plan: what changed outside Terraform. Nothing is applied.
        try:
            tf.plan(PLAN_FILE, "-refresh-only")
            plan = tf.show_json(PLAN_FILE)
        finally:
            if os.path.exists(plan_path):
                os.remove(plan_path)
        drift = tp.summarize_drift(plan)
        resources = tp.state_resources(plan.get("prior_state"))
        result.update(changed=False, action="drift", drift=drift, outputs=tp.planned_outputs(plan), resources=resources,
                      summary=dict(_EMPTY_SUMMARY, changes=[], data_loss=[], prior_resources=len(resources)))
    elif state in ("plan", "apply_plan"):
        result.update(run_bundle(tf, work_dir, layer, state, check_mode, plan_out, plan_expect, allow_replace))
    elif state == "read":
        current = tf.state_pull()
        resources = tp.raw_state_resources(current)
        result.update(changed=False, action="read", outputs=tp.raw_state_outputs(current), resources=resources,
                      summary=dict(_EMPTY_SUMMARY, changes=[], data_loss=[], prior_resources=len(resources)))
    else:
        started_ahead = plan_ahead(execute, terraform, list(ahead), lock_timeout, ahead_id) \
            if ahead and ahead_id and state == "present" else None
        try:
            rc = None
            if state == "present" and not targets and ahead_ok:
                rc = take_ahead(work_dir, ahead_id)
                if rc == 2 and not check_mode:
                    rc = None  # an apply plans afresh: the guard and the apply see this moment's plan
            else:
                _discard_ahead(work_dir)
            result["planned_ahead"] = rc is not None
            if rc is None:
                rc = tf.plan(PLAN_FILE, *(["-destroy"] if state == "absent" else []),
                             *[f"-target={target}" for target in targets])
            if rc == 0:
                # No change at all (resources or outputs): nothing to apply or guard, and the
                # state the plan was made against (in the plan file, else `state pull`) says
                # what `show -json` would, at a fraction of its cost.
                raw = plan_state(plan_path) or tf.state_pull()
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
                tf.apply(PLAN_FILE)
                result["applied"] = True
                after = tf.state_pull()
                outputs, resources = tp.raw_state_outputs(after), tp.raw_state_resources(after)
        finally:
            if os.path.exists(plan_path):
                os.remove(plan_path)
            if started_ahead:
                result["ahead"] = finish_ahead(started_ahead)
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


def bundle_inputs(tf, work_dir):
    """The sha256 of what a layer's plan depends on besides its state (see plan_bundle.inputs_sha256)."""
    _unused, out = tf("version", "-json")
    try:
        version = json.loads(out).get("terraform_version", out.strip())
    except ValueError:
        version = out.strip()
    return pb.inputs_sha256(ahead_fingerprint(work_dir), version)


def run_bundle(tf, work_dir, layer, state, check_mode, plan_out, plan_expect, allow_replace):
    """``plan``: save the layer's plan at ``plan_out`` (a plan bundle) with what a later apply must
    find unchanged: the state's serial and lineage and the inputs' sha256. Nothing is applied.
    ``apply_plan``: apply the plan file ``plan_expect['plan_path']`` exactly, after checking, before
    anything is touched, its sha256, the state's serial and lineage and the inputs against
    ``plan_expect`` (a manifest entry); in check mode only check. A plan that changes nothing is
    not applied (the state keeps its serial)."""
    if state == "plan":
        if not plan_out:
            raise TerraformError("plan_out is required with state=plan (the plan file's path in the bundle).")
        serial, lineage = pb.state_identity(tf.state_pull())
        inputs = bundle_inputs(tf, work_dir)
        rc = tf.plan(plan_out)
        os.chmod(plan_out, 0o600)
        plan = tf.show_json(plan_out)
        summary = tp.summarize_plan(plan)
        return {"changed": False, "action": "plan", "summary": summary, "outputs": summary["outputs"],
                "resources": tp.state_resources(plan.get("prior_state")),
                "bundle": {"layer": layer, "plan_file": plan_out, "sha256": pb.file_sha256(plan_out),
                           "serial": serial, "lineage": lineage, "inputs_sha256": inputs, "changes": rc == 2}}
    expect = plan_expect or {}
    path = expect.get("plan_path")
    if not path:
        raise TerraformError("plan_expect.plan_path is required with state=apply_plan (the reviewed plan file).")
    serial, lineage = pb.state_identity(tf.state_pull())
    found = {"sha256": pb.file_sha256(path) if os.path.isfile(path) else "missing", "serial": serial,
             "lineage": lineage, "inputs_sha256": bundle_inputs(tf, work_dir)}
    refusal = pb.layer_refusal(layer, expect, found)
    if refusal:
        raise TerraformError(refusal, bundle_refused=True, expected={k: expect.get(k) for k in found}, found=found)
    plan = tf.show_json(path)
    summary = tp.summarize_plan(plan)
    refusal = data_loss_refusal(layer, summary, allow_replace)
    if refusal:
        raise TerraformError(refusal, data_loss=summary["data_loss"], summary=summary)
    has_changes = bool(expect.get("changes"))
    result = {"changed": has_changes, "action": "plan" if check_mode else "apply", "summary": summary,
              "outputs": summary["outputs"], "resources": tp.state_resources(plan.get("prior_state")), "applied": False}
    if has_changes and not check_mode:
        tf.apply(path)
        after = tf.state_pull()
        result.update(applied=True, outputs=tp.raw_state_outputs(after), resources=tp.raw_state_resources(after))
    return result
