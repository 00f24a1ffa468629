# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A layer's part of a plan bundle (plan_bundle.py), over a :class:`~terraform_runner.Runner`:
:func:`save` plans the layer into the bundle with what a later apply must find unchanged, and
:func:`apply_reviewed` applies exactly that plan after checking it, before anything is touched.
"""
from __future__ import annotations

import os

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb
from ansible_collections.strata.deploy.plugins.module_utils import terraform_adopt as adopt
from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp
from ansible_collections.strata.deploy.plugins.module_utils.terraform_guard import guard
from ansible_collections.strata.deploy.plugins.module_utils.terraform_jobs import apply_exactly, report
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import TerraformError
from ansible_collections.strata.deploy.plugins.module_utils.terraform_workdir import inputs_fingerprint


def bundle_inputs(tf):
    """The sha256 of what a layer's plan depends on besides its state (see plan_bundle.inputs_sha256)."""
    return pb.inputs_sha256(inputs_fingerprint(tf.work_dir), tf.version())


def save(tf, plan_file):
    """Save the layer's plan at ``plan_file`` (in the bundle, mode 0600) and return in ``bundle``
    what a later apply must find unchanged: the state's serial and lineage and the inputs' sha256,
    with the plan file's own sha256. Nothing is applied, in check mode or not."""
    serial, lineage = pb.state_identity(tf.state_pull())
    inputs = bundle_inputs(tf)
    rc = tf.plan(plan_file)
    os.chmod(plan_file, 0o600)
    plan = tf.show_json(plan_file)
    summary = tp.summarize_plan(plan)
    bundle = {"layer": tf.layer, "plan_file": plan_file, "sha256": pb.file_sha256(plan_file),
              "serial": serial, "lineage": lineage, "inputs_sha256": inputs, "changes": rc == 2}
    read = tp.remote_state_outputs(plan)
    if read:
        bundle["reads"] = pb.pin_reads(read)
    return report(tf, {
        "changed": False, "action": "plan", "applied": False, "summary": summary, "outputs": summary["outputs"],
        "resources": tp.state_resources(plan.get("prior_state")), "bundle": bundle})


def apply_reviewed(tf, plan_file, expect, allow_replace=(), check_mode=False, predecessor_outputs=None):
    """Apply the reviewed plan ``plan_file`` exactly, after checking, before anything is touched,
    its sha256, the state's serial and lineage and the inputs against ``expect`` (the layer's
    entry of the bundle's manifest), the outputs it read from its predecessor against
    ``predecessor_outputs`` (that layer's outputs now, when the plan read any), then the data
    guard; in check mode only check. A plan that changes nothing is not applied (the state
    keeps its serial)."""
    serial, lineage = pb.state_identity(tf.state_pull())
    found = {"sha256": pb.file_sha256(plan_file) if os.path.isfile(plan_file) else "missing", "serial": serial,
             "lineage": lineage, "inputs_sha256": bundle_inputs(tf)}
    refusal = pb.layer_refusal(tf.layer, expect, found)
    if refusal:
        raise TerraformError(refusal, bundle_refused=True, expected={k: expect.get(k) for k in found}, found=found)
    if expect.get("reads") and predecessor_outputs is not None:
        changed = pb.changed_reads(expect["reads"], predecessor_outputs)
        if changed:
            raise TerraformError(pb.reads_refusal(tf.layer, expect.get("predecessor") or "previous", changed),
                                 bundle_refused=True, changed_reads=changed)
    plan = tf.show_json(plan_file)
    interrupted = adopt.candidates(adopt.journal(tf.work_dir), plan)
    if interrupted:
        raise TerraformError(pb.interrupted_refusal(tf.layer, interrupted), bundle_refused=True, interrupted=interrupted)
    summary = tp.summarize_plan(plan)
    guard(tf.layer, summary, allow_replace)
    has_changes = bool(expect.get("changes"))
    result = {"changed": has_changes, "action": "plan" if check_mode else "apply", "applied": False, "summary": summary,
              "outputs": summary["outputs"], "resources": tp.state_resources(plan.get("prior_state"))}
    if has_changes and not check_mode:
        apply_exactly(tf, plan_file, result, plan)
    return report(tf, result)
