# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plans made ahead: later layers planned side by side with an earlier layer's run.

While one layer plans and applies, :func:`plan_ahead` plans the later layers (each in a thread
of its own, in its working copy as an earlier run left it) into ``AHEAD_PLAN``, with a record
naming the playbook run (``ahead_id``) and the working copy's :func:`inputs_fingerprint`. A later
layer's own run takes such a plan (:func:`take_ahead`) only when it was made in the same
playbook run, nothing was applied since, and its working copy did not change: the usual no-op
redeploy pays for its plans side by side, not one after another.
"""
from __future__ import annotations

import json
import os
import threading
import time

from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import TerraformError
from ansible_collections.strata.deploy.plugins.module_utils.terraform_workdir import (
    INIT_STAMP,
    PLAN_FILE,
    discard,
    inputs_fingerprint,
    needs_init,
    sync_config,
)

# A plan made side by side with an earlier layer's run, and its record.
AHEAD_PLAN = "strata.ahead.tfplan"
AHEAD_RECORD = "strata.ahead.json"


def discard_ahead(work_dir):
    """Remove a plan made ahead and its record, used or not."""
    discard(work_dir, AHEAD_PLAN, AHEAD_RECORD)


def _plan_one_ahead(tf, layer, ahead_id):
    """Plan one later layer in its own working copy, as it stands, into AHEAD_PLAN. Never
    raises: a layer that cannot be planned yet (no working copy, no inputs, a lock held, a
    predecessor missing) is simply planned again in its own turn."""
    work_dir = layer["work_dir"]
    record = {"id": ahead_id, "layer": layer["layer"], "rc": None}
    discard_ahead(work_dir)
    if not all(os.path.exists(os.path.join(work_dir, name))
               for name in ("backend.tf", "strata.auto.tfvars.json", INIT_STAMP)):
        return dict(record, skipped="no working copy from an earlier run")
    try:
        if layer.get("source_dir"):
            sync_config(layer["source_dir"], work_dir)
        if needs_init(work_dir):
            return dict(record, skipped="needs init")
        record["fingerprint"] = inputs_fingerprint(work_dir)
        started = time.monotonic()
        # No lock: a plan made ahead writes nothing, and it is used only when it changes
        # nothing (or in check mode, which applies nothing); an apply always plans again under
        # the lock. So a run killed during these plans leaves no lock on the later layers.
        rc = tf.beside(work_dir, layer["layer"]).plan(AHEAD_PLAN, "-lock=false")
        record.update(rc=rc, seconds=round(time.monotonic() - started, 1))
    except (TerraformError, OSError) as exc:
        discard_ahead(work_dir)
        return dict(record, skipped=getattr(exc, "msg", str(exc))[:300])
    with open(os.path.join(work_dir, AHEAD_RECORD), "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    return record


def plan_ahead(tf, layers, ahead_id):
    """Start a plan of each of ``layers`` (``layer``, ``work_dir``, ``source_dir``) in a thread
    of its own, through ``tf``'s ``execute``; returns the threads and their results (joined by
    :func:`finish_ahead`)."""
    results = [None] * len(layers)

    def work(index, layer):
        results[index] = _plan_one_ahead(tf, layer, ahead_id)

    threads = [threading.Thread(target=work, args=(index, layer), daemon=True) for index, layer in enumerate(layers)]
    for thread in threads:
        thread.start()
    return threads, results


def finish_ahead(started):
    """Wait for the plans :func:`plan_ahead` started; their records, in the order of its layers."""
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
              and record.get("fingerprint") == inputs_fingerprint(work_dir))
    if usable:
        os.replace(os.path.join(work_dir, AHEAD_PLAN), os.path.join(work_dir, PLAN_FILE))
    discard_ahead(work_dir)
    return record["rc"] if usable else None
