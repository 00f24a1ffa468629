# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The jobs strata runs in one Terraform working copy, one function each, over a
:class:`~terraform_runner.Runner`: :func:`apply`, :func:`destroy`, :func:`read`, :func:`drift`
and :func:`migrate` (the reviewed plans of a plan bundle are in plan_bundle_jobs.py).

A run first brings the working copy up to date and runs ``init`` only when needed
(:func:`start`); then one job. On a redeploy that costs two Terraform processes per layer:
one saved plan, and an ``apply`` of exactly that plan only when it changes something. Each job
returns the outcome read from Terraform's JSON (terraform_plan.py) with its one-line summary
(:func:`report`).
"""
from __future__ import annotations

import os

from ansible_collections.strata.deploy.plugins.module_utils import terraform_adopt as adopt
from ansible_collections.strata.deploy.plugins.module_utils import terraform_ahead as ah
from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp
from ansible_collections.strata.deploy.plugins.module_utils import terraform_workdir as wd
from ansible_collections.strata.deploy.plugins.module_utils.terraform_guard import guard
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import plan_state


def start(tf, files=None, source_dir=None, modules_dir=None, force_init=False):
    """Bring the working copy up to date (see terraform_workdir.prepare), then ``init`` it when
    its fingerprint changed (or ``force_init``). Returns ``synced`` and ``initialised``."""
    synced = wd.prepare(tf.work_dir, files, source_dir, modules_dir)
    return {"synced": synced, "initialised": wd.ensure_init(tf, force=force_init)}


def unchanged_summary(resources, **extra):
    """The summary of a run that plans no change, over the state's managed ``resources``."""
    return dict(add=0, change=0, destroy=0, replace=0, move=0, forget=0, changes=[], data_loss=[],
                prior_resources=len(resources), **extra)


def report(tf, result):
    """``result`` with the run's ``seconds``, its one-line summary (``line``) and ``commands``."""
    seconds = tf.seconds()
    if result["action"] == "drift":
        line = f"{tf.layer}: drift {len(result['drift'])} resource(s) changed outside Terraform ({seconds} s)"
    else:
        line = tp.summary_line(tf.layer, result["action"], result["summary"], seconds)
    return dict(result, seconds=seconds, line=line, commands=tf.commands)


def apply_exactly(tf, plan_file, result, plan=None):
    """Apply exactly the saved plan ``plan_file`` (``plan``: its JSON, whose creates are
    journaled until the apply has ended, see terraform_adopt.py); ``result`` then holds the
    outputs and resources of the state it left, and ``applied``."""
    if plan is not None:
        adopt.record(tf.work_dir, plan)
    tf.apply(plan_file)
    adopt.clear(tf.work_dir)
    after = tf.state_pull()
    result.update(applied=True, outputs=tp.raw_state_outputs(after), resources=tp.raw_state_resources(after))


def _plan_then_apply(tf, verb, check_mode, rc, plan_args, guard_data, allow_replace):
    """Plan into PLAN_FILE (unless ``rc``, the exit code of a plan made ahead, says it is there
    already), refuse it if it loses data (``guard_data``), and apply exactly that plan when it
    changes something, outside check mode. An apply whose plan creates again what an
    interrupted apply created imports those objects instead (terraform_adopt.py). The caller
    removes the plan file and terraform_adopt.IMPORTS."""
    planned_ahead = rc is not None
    if rc is None:
        rc = tf.plan(wd.PLAN_FILE, *plan_args)
    plan = tf.show_json(wd.PLAN_FILE) if rc == 2 else None
    adopted = []
    if plan is not None and verb == "apply":
        pending = adopt.candidates(adopt.journal(tf.work_dir), plan)
        if pending:
            rc, adopted = adopt.plan_importing(tf, wd.PLAN_FILE, plan_args, pending)
            plan = tf.show_json(wd.PLAN_FILE) if rc == 2 else None
    if plan is None:
        # No change at all (resources or outputs): nothing to apply or guard, and the state
        # the plan was made against (in the plan file, else `state pull`) says what
        # `show -json` would, at a fraction of its cost.
        raw = plan_state(os.path.join(tf.work_dir, wd.PLAN_FILE)) or tf.state_pull()
        resources = tp.raw_state_resources(raw)
        summary = unchanged_summary(resources, outputs=tp.raw_state_outputs(raw))
    else:
        summary = tp.summarize_plan(plan)
        resources = tp.state_resources(plan.get("prior_state"))
    if guard_data:
        guard(tf.layer, summary, allow_replace)
    result = {"changed": rc == 2, "action": "plan" if check_mode else verb, "applied": False,
              "planned_ahead": planned_ahead, "summary": summary, "outputs": summary["outputs"], "resources": resources}
    if adopted:
        result.update(adopted=adopted, warnings=[adopt.adopted_warning(tf.layer, adopted)])
    if rc == 2 and not check_mode:
        apply_exactly(tf, wd.PLAN_FILE, result, plan)
    elif verb == "apply" and not check_mode:
        # Nothing to create: whatever an interrupted apply journaled is in the state now.
        adopt.clear(tf.work_dir)
    return result


def apply(tf, check_mode=False, targets=(), guard_data=True, allow_replace=(), ahead=(), ahead_id="", ahead_ok=True):
    """Plan and apply the layer (in check mode, plan only). ``targets`` limits the plan to those
    addresses (``-target``). With ``guard_data`` a plan that destroys or replaces a table or
    bucket is refused before anything is applied unless its address is in ``allow_replace``.

    Plans side by side: with ``ahead`` (later layers: ``layer``, ``work_dir``, ``source_dir``) and
    ``ahead_id`` (one per playbook run), those layers are planned while this one plans and
    applies (terraform_ahead.py); their results are returned in ``ahead``. A run given the same
    ``ahead_id`` and ``ahead_ok`` (nothing applied since) uses its own plan made ahead when it
    changes nothing (or, in check mode, always) instead of planning again (``planned_ahead``)."""
    started = ah.plan_ahead(tf, list(ahead), ahead_id) if ahead and ahead_id else None
    try:
        rc = None
        if ahead_ok and not targets:
            rc = ah.take_ahead(tf.work_dir, ahead_id)
            if rc == 2 and not check_mode:
                rc = None  # an apply plans afresh: the guard and the apply see this moment's plan
        else:
            ah.discard_ahead(tf.work_dir)
        result = _plan_then_apply(tf, "apply", check_mode, rc, [f"-target={t}" for t in targets],
                                  guard_data, allow_replace)
    finally:
        wd.discard(tf.work_dir, wd.PLAN_FILE, adopt.IMPORTS)
        records = ah.finish_ahead(started) if started else None
    if started:
        result["ahead"] = records
    return report(tf, result)


def destroy(tf, check_mode=False, targets=(), guard_data=False, allow_replace=()):
    """Plan a destroy (``-destroy``, limited to ``targets``) and apply it (in check mode, plan
    only). A destroy is guarded by its callers (backups first), so ``guard_data`` is off unless
    asked for."""
    try:
        ah.discard_ahead(tf.work_dir)
        result = _plan_then_apply(tf, "destroy", check_mode, None, ["-destroy"] + [f"-target={t}" for t in targets],
                                  guard_data, allow_replace)
    finally:
        wd.discard(tf.work_dir, wd.PLAN_FILE)
    return report(tf, result)


def read(tf):
    """The state's outputs and managed resources (``terraform state pull``); changes nothing."""
    current = tf.state_pull()
    resources = tp.raw_state_resources(current)
    return report(tf, {"changed": False, "action": "read", "outputs": tp.raw_state_outputs(current),
                       "resources": resources, "summary": unchanged_summary(resources)})


def drift(tf):
    """What changed outside Terraform: a refresh-only plan, read as JSON and removed (``drift``:
    each resource changed or gone, see terraform_plan.summarize_drift). Nothing is applied."""
    try:
        tf.plan(wd.PLAN_FILE, "-refresh-only")
        plan = tf.show_json(wd.PLAN_FILE)
    finally:
        wd.discard(tf.work_dir, wd.PLAN_FILE)
    resources = tp.state_resources(plan.get("prior_state"))
    return report(tf, {"changed": False, "action": "drift", "drift": tp.summarize_drift(plan),
                       "outputs": tp.planned_outputs(plan), "resources": resources,
                       "summary": unchanged_summary(resources)})


def migrate(tf, check_mode=False):
    """Move the state to the backend ``backend.tf`` now names, without a prompt
    (``init -migrate-state -force-copy``), and record that init. In check mode nothing runs."""
    if not check_mode:
        tf.init("-migrate-state", "-force-copy")
        wd.record_init(tf.work_dir)
    return report(tf, {"changed": True, "action": "migrate", "outputs": {}, "resources": [],
                       "summary": unchanged_summary([])})
