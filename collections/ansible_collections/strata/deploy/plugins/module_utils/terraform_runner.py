# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Terraform commands in one working copy, and what their failures mean.

:class:`Runner` runs each command through an ``execute(argv, cwd=...) -> (rc, stdout, stderr)``
callable (``module.run_command`` in the modules, a recording stand-in in the tests) and keeps
the list of commands it ran. A failure becomes a :class:`TerraformError` carrying the message
the user should read; a state lock held by another run is named as such (:func:`lock_message`)
with its holder as data (:func:`lock_holder`); a call AWS refused names the action, the resource
and the policy file of strata that grants it (:func:`denied_message`), even when the refused
call was the one taking the lock.
"""
from __future__ import annotations

import json
import re
import time
import zipfile

from ansible_collections.strata.deploy.plugins.module_utils import access_denied

_LOCK_INFO = re.compile(r"Lock Info:\s*(.*?)(?:\n\n|\Z)", re.DOTALL)
_LOCK_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created|Info):\s*(.*?)\s*$", re.MULTILINE)


class TerraformError(Exception):
    """A failed Terraform command, with the message the user should read."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


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


# What a refused lock write during a plan adds: a caller that may only read plans without the lock.
READ_ONLY_PLAN = ("A caller that may only read (iam/strata-readonly.json) plans without taking the state lock: run "
                  "the same command with TF_CLI_ARGS_plan=-lock=false in its environment (docs/least-privilege.md).")


def denied_message(stderr, layer, command):
    """``(message, refusal)`` for a Terraform command that AWS refused (AccessDenied), or
    ``(None, None)``. The message names the action, the resource, the policy file that grants
    it and the next step (``access_denied.message``), and, for a plan refused the state lock,
    how a read-only caller plans; Terraform's own words follow."""
    refusal = access_denied.parse(stderr)
    if refusal is None:
        return None, None
    said = " ".join(stderr.split())
    message = access_denied.message(refusal, f"the {layer} layer's terraform {command}")
    if command == "plan" and "Error acquiring the state lock" in stderr:
        message += " " + READ_ONLY_PLAN
    refusal["policy"] = access_denied.policy_for(refusal["action"] or refusal["operation"])
    return f"{message} Terraform said: {said[-1500:]}", refusal


class Runner:
    """Terraform commands in one working copy (``work_dir``, the ``layer`` named in messages).

    ``execute(argv, cwd=...)`` runs one command and returns ``(rc, stdout, stderr)``; it must be
    safe to call from several threads when layers plan side by side. ``commands`` lists the
    commands run, first word only; ``started`` is when the run began (its report's seconds)."""

    def __init__(self, execute, terraform, work_dir, layer, lock_timeout):
        self.execute = execute
        self.terraform = terraform
        self.work_dir = work_dir
        self.layer = layer
        self.lock_timeout = lock_timeout
        self.commands = []
        self.started = time.monotonic()

    def beside(self, work_dir, layer):
        """A runner of another working copy (a later layer), through the same ``execute``."""
        return Runner(self.execute, self.terraform, work_dir, layer, self.lock_timeout)

    def seconds(self):
        """Wall time since the run began, rounded as the report prints it."""
        return round(time.monotonic() - self.started, 1)

    def __call__(self, *args, ok=(0,)):
        argv = [self.terraform] + list(args)
        self.commands.append(" ".join(args[:1]))
        rc, out, err = self.execute(argv, cwd=self.work_dir)
        if rc not in ok:
            # A refused lock write is a refusal, not a lock held by another run.
            denied, refusal = denied_message(err, self.layer, args[0])
            locked = None if denied else lock_message(err, self.layer)
            message = denied or locked or (
                f"terraform {args[0]} failed for the {self.layer} layer (exit {rc}): "
                + (err.strip() or out.strip())[-3000:])
            extra = {"lock": lock_holder(err)} if locked else {"access_denied": refusal} if denied else {}
            raise TerraformError(message, rc=rc, locked=bool(locked), stderr=err[-6000:], stdout=out[-3000:], **extra)
        return rc, out

    def init(self, *flags):
        """``terraform init`` with ``flags`` (``-reconfigure`` by default), never asking anything."""
        self("init", *(flags or ("-reconfigure",)), "-input=false", "-no-color", f"-lock-timeout={self.lock_timeout}s")

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

    def version(self):
        """The Terraform version (``terraform version -json``), as it prints it."""
        _unused, out = self("version", "-json")
        try:
            return json.loads(out).get("terraform_version", out.strip())
        except ValueError:
            return out.strip()


def plan_state(plan_path):
    """The state a saved plan was made against (the ``tfstate`` member of the plan file, the
    same JSON ``terraform state pull`` prints), or None when the file does not hold one."""
    try:
        with zipfile.ZipFile(plan_path) as plan:
            return json.loads(plan.read("tfstate"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
