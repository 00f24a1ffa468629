# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Adopt what an interrupted apply created: the objects AWS made before the apply was killed
and Terraform saved them in the state.

Terraform saves the state when an apply ends (and every 20 s of it at most): killed between
AWS creating a bucket or a table and that save, it leaves the object in AWS and outside the
state, and every later apply stops at "already exists". So before each apply strata writes
in the working copy a journal (JOURNAL) of the objects that plan creates, with their import
IDs (terraform_plan.adoptable_creates), and removes it when the apply has ended (state saved).
A journal found at the next apply means the last one was interrupted: the objects it names
that the new plan would create again, with the same ID, are imported instead (Terraform
``import`` blocks in IMPORTS, removed after the run), when they exist; only the objects the
journal names are adopted, never one of another owner that happens to bear the name.
"""
from __future__ import annotations

import json
import os

from ansible_collections.strata.deploy.plugins.module_utils import files
from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp
from ansible_collections.strata.deploy.plugins.module_utils import terraform_workdir as wd
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import TerraformError

JOURNAL = ".strata-creating.json"
IMPORTS = "strata_adopt.tf"


def journal(work_dir):
    """The objects an interrupted apply of this working copy was creating (``[]``: none)."""
    try:
        with open(os.path.join(work_dir, JOURNAL), encoding="utf-8") as handle:
            return json.load(handle).get("creating") or []
    except FileNotFoundError:
        return []
    except ValueError:
        # Written whole (files.write_if_changed), so unreadable means changed by hand.
        raise TerraformError(f"{os.path.join(work_dir, JOURNAL)} is not the JSON strata writes: remove it and "
                             "run again (an interrupted apply's objects then stop the apply at 'already exists').")


def record(work_dir, plan_json):
    """Before an apply of ``plan_json``: journal what it creates, with what an earlier
    interrupted apply journaled (until this one ends, both may be outside the state)."""
    entries = journal(work_dir)
    for entry in tp.adoptable_creates(plan_json):
        if entry not in entries:
            entries.append(entry)
    if entries:
        data = json.dumps({"creating": entries}, indent=2, sort_keys=True) + "\n"
        files.write_if_changed(os.path.join(work_dir, JOURNAL), data.encode("utf-8"), 0o600)


def clear(work_dir):
    """After an apply that ended (its state saved): nothing is outside the state."""
    path = os.path.join(work_dir, JOURNAL)
    if os.path.exists(path):
        os.remove(path)


def candidates(entries, plan_json):
    """The journal's ``entries`` that ``plan_json`` would create again, with the same ID."""
    planned = {(c["address"], c["id"]) for c in tp.adoptable_creates(plan_json)}
    return [entry for entry in entries if (entry["address"], entry["id"]) in planned]


def import_blocks(entries):
    """Terraform ``import`` blocks for ``entries``."""
    return "".join(f"import {{\n  to = {entry['address']}\n  id = {json.dumps(entry['id'])}\n}}\n\n"
                   for entry in entries)


def plan_importing(tf, plan_file, plan_args, entries):
    """Plan again with ``entries`` imported; an entry whose object does not exist (the apply was
    killed before AWS created it) is left to be created. Returns the exit code and the entries
    imported. The caller removes IMPORTS."""
    path = os.path.join(tf.work_dir, IMPORTS)
    while entries:
        files.write_if_changed(path, import_blocks(entries).encode("utf-8"), 0o640)
        try:
            return tf.plan(plan_file, *plan_args), entries
        except TerraformError as exc:
            missing = tp.imports_not_found(exc.details.get("stderr") or "")
            if not missing or not any(entry["address"] in missing for entry in entries):
                raise
            entries = [entry for entry in entries if entry["address"] not in missing]
    wd.discard(tf.work_dir, IMPORTS)
    return tf.plan(plan_file, *plan_args), []


def describe(entries):
    """Journal ``entries`` as messages name them: ``<address> (<import ID>)``, comma-separated."""
    return ", ".join(f"{entry['address']} ({entry['id']})" for entry in entries)


def adopted_warning(layer, entries):
    """What the run says when it adopted ``entries``."""
    return (f"{layer}: adopted {describe(entries)}: created by an apply that was interrupted before Terraform saved them "
            "in the state, and imported instead of created again.")
