# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a Terraform plan does and what a state holds, read from Terraform's JSON
(``terraform show -json [plan]``): the one place strata interprets a Terraform run.

Pure functions over parsed JSON; no Terraform, no AWS.
"""
from __future__ import annotations

import re

# Resource types whose destruction loses data: their contents are not in Terraform.
DATA_RESOURCE_TYPES = ("aws_dynamodb_table", "aws_s3_bucket")

# The attribute that names each data-holding resource (what backup and restore address).
_NAME_ATTRIBUTE = {"aws_dynamodb_table": "name", "aws_s3_bucket": "bucket"}

# Resource types whose create fails while an object of that name exists ("already exists"),
# and the planned attributes whose values, joined by "/", are the object's import ID. An
# apply killed after AWS created one, before Terraform saved it in the state, leaves it in AWS
# and outside the state; terraform_adopt.py imports it on the next apply. (Objects AWS names
# itself -- CloudFront distributions, origin access controls, APIs -- cannot be found by a name
# the plan knows: a killed create of one leaves a duplicate, not a refusal.)
ADOPTABLE = {
    "aws_s3_bucket": ("bucket",),
    "aws_dynamodb_table": ("name",),
    "aws_iam_role": ("name",),
    "aws_lambda_function": ("function_name",),
    "aws_cloudwatch_log_group": ("name",),
    "aws_lambda_permission": ("function_name", "statement_id"),
}
# Terraform's words for an import block whose object does not exist (wrapped lines joined).
_NOT_FOUND = re.compile(r'import an existing object to "([^"]+)", the provider detected that no object exists')


def _walk_modules(module):
    """Yield every module of a ``root_module`` tree (``values`` of a state or a plan)."""
    if not module:
        return
    yield module
    for child in module.get("child_modules") or []:
        yield from _walk_modules(child)


def state_resources(state_json):
    """The managed resources of a state (``terraform show -json`` without a plan), as
    ``[{address, type, name}]`` where ``name`` is the data resource's AWS name or None."""
    root = ((state_json or {}).get("values") or {}).get("root_module")
    found = []
    for module in _walk_modules(root):
        for resource in module.get("resources") or []:
            if resource.get("mode") != "managed":
                continue
            attribute = _NAME_ATTRIBUTE.get(resource.get("type"))
            values = resource.get("values") or {}
            found.append({
                "address": resource.get("address"),
                "type": resource.get("type"),
                "name": values.get(attribute) if attribute else None,
            })
    return found


def raw_state_resources(raw_state):
    """The managed resources of a raw state (``terraform state pull``), in the form of
    :func:`state_resources`. Reading it costs a fraction of ``terraform show -json``."""
    found = []
    for resource in (raw_state or {}).get("resources") or []:
        if resource.get("mode") != "managed":
            continue
        base = ".".join(part for part in (resource.get("module"), resource.get("type"), resource.get("name")) if part)
        attribute = _NAME_ATTRIBUTE.get(resource.get("type"))
        for instance in resource.get("instances") or []:
            key = instance.get("index_key")
            suffix = "" if key is None else (f"[{key}]" if isinstance(key, int) else f'["{key}"]')
            values = instance.get("attributes") or {}
            found.append({"address": base + suffix, "type": resource.get("type"),
                          "name": values.get(attribute) if attribute else None})
    return found


def raw_state_outputs(raw_state):
    """``{name: value}`` of a raw state's outputs (``terraform state pull``)."""
    return {name: item.get("value") for name, item in ((raw_state or {}).get("outputs") or {}).items()}


def state_outputs(state_json):
    """``{name: value}`` of a state's outputs (``terraform show -json`` without a plan)."""
    outputs = ((state_json or {}).get("values") or {}).get("outputs") or {}
    return {name: item.get("value") for name, item in outputs.items()}


def planned_outputs(plan_json):
    """``{name: value}`` of the outputs a plan leaves, for the outputs whose value is known."""
    outputs = (plan_json.get("planned_values") or {}).get("outputs") or {}
    return {name: item["value"] for name, item in outputs.items() if "value" in item}


def remote_state_outputs(plan_json):
    """The outputs of other states a plan read (``terraform_remote_state`` data sources, as the
    plan read them into its ``prior_state``): ``{name: value}`` over every such data source."""
    root = ((plan_json or {}).get("prior_state") or {}).get("values", {}).get("root_module")
    read = {}
    for module in _walk_modules(root):
        for resource in module.get("resources") or []:
            if resource.get("mode") == "data" and resource.get("type") == "terraform_remote_state":
                read.update((resource.get("values") or {}).get("outputs") or {})
    return read


def _action(actions):
    """One word for a resource change's ``actions`` list."""
    actions = list(actions or [])
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    if actions == ["create"]:
        return "create"
    if actions == ["update"]:
        return "update"
    if actions == ["delete"]:
        return "delete"
    if actions == ["read"]:
        return "read"
    if actions == ["forget"]:
        return "forget"
    return "no-op"


def summarize_plan(plan_json):
    """Summarise a saved plan (``terraform show -json <plan>``).

    Returns ``add``, ``change``, ``destroy`` (counted as Terraform's "Plan:" line counts them:
    a replacement is one add and one destroy), ``replace``, ``move`` (resources whose address
    a ``moved`` block changes), ``forget`` (resources a ``removed`` block with
    ``lifecycle { destroy = false }`` takes out of the state, leaving them in AWS), ``changes`` (every managed
    resource that changes: address, type, action, reason, replace_paths), ``data_loss`` (the
    changes that delete or replace a resource holding data, with the AWS name and why),
    ``prior_resources`` (managed resources in the state before the plan) and ``outputs``
    (the known output values after the plan).
    """
    counts = {"add": 0, "change": 0, "destroy": 0, "replace": 0, "move": 0, "forget": 0}
    changes = []
    data_loss = []
    for change in plan_json.get("resource_changes") or []:
        if change.get("mode") != "managed":
            continue
        action = _action((change.get("change") or {}).get("actions"))
        if change.get("previous_address") and change.get("previous_address") != change.get("address"):
            counts["move"] += 1
        if action in ("no-op", "read"):
            continue
        if action in ("create", "replace"):
            counts["add"] += 1
        if action in ("delete", "replace"):
            counts["destroy"] += 1
        if action == "update":
            counts["change"] += 1
        if action == "replace":
            counts["replace"] += 1
        if action == "forget":
            counts["forget"] += 1
        detail = change.get("change") or {}
        replace_paths = [".".join(str(part) for part in path) for path in detail.get("replace_paths") or []]
        item = {
            "address": change.get("address"),
            "type": change.get("type"),
            "action": action,
            "reason": change.get("action_reason") or "",
            "replace_paths": replace_paths,
        }
        changes.append(item)
        if action in ("delete", "replace") and change.get("type") in DATA_RESOURCE_TYPES:
            before = detail.get("before") or {}
            data_loss.append(dict(item, name=before.get(_NAME_ATTRIBUTE[change["type"]]),
                                  why=_why(item)))
    prior = state_resources(plan_json.get("prior_state"))
    return dict(counts, changes=changes, data_loss=data_loss,
                prior_resources=len(prior), outputs=planned_outputs(plan_json))


def _changed_attributes(before, after, prefix=""):
    """Dotted names of the attributes whose values differ between two resource objects."""
    if isinstance(before, dict) and isinstance(after, dict):
        names = []
        for key in sorted(set(before) | set(after)):
            names += _changed_attributes(before.get(key), after.get(key), f"{prefix}{key}.")
        return names
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        names = []
        for index, (old, new) in enumerate(zip(before, after)):
            names += _changed_attributes(old, new, f"{prefix}{index}.")
        return names
    return [] if before == after else [prefix.rstrip(".")]


def summarize_drift(plan_json):
    """What changed outside Terraform, from a refresh-only plan (``terraform plan -refresh-only``
    shown as JSON): ``[{address, type, action, attributes}]``, ``action`` being ``update``
    (changed in place) or ``delete`` (gone), ``attributes`` the dotted names that differ."""
    drifted = []
    for change in plan_json.get("resource_drift") or []:
        if change.get("mode") != "managed":
            continue
        detail = change.get("change") or {}
        action = _action(detail.get("actions"))
        if action == "no-op":
            continue
        attributes = _changed_attributes(detail.get("before") or {}, detail.get("after") or {}) \
            if action == "update" else []
        drifted.append({"address": change.get("address"), "type": change.get("type"), "action": action,
                        "attributes": [name for name in attributes if not name.startswith("tags_all")]})
    return drifted


def _why(item):
    """Why Terraform deletes or replaces a resource, in words."""
    if item["action"] == "delete":
        return {
            "delete_because_no_resource_config": "it was removed from the configuration",
            "delete_because_count_index": "its count index is gone",
            "delete_because_each_key": "its for_each key is gone",
            "delete_because_no_module": "its module was removed",
        }.get(item["reason"], "the plan destroys it")
    if item["replace_paths"]:
        return "changing " + ", ".join(item["replace_paths"]) + " forces a replacement"
    if item["reason"] == "replace_by_request":
        return "a replacement was requested (-replace)"
    if item["reason"] == "replace_because_tainted":
        return "it is tainted"
    return "the plan replaces it"


def summary_line(layer, action, summary, seconds):
    """The one-line report of a layer's run, as the deploy and teardown summaries print it."""
    extra = "".join(f", {summary[key]} {word}" for key, word in
                    (("forget", "to forget"), ("replace", "replaced"), ("move", "moved")) if summary.get(key))
    return (f"{layer}: {action} {summary['add']} to add, {summary['change']} to change, "
            f"{summary['destroy']} to destroy{extra} ({seconds} s)")


def adoptable_creates(plan_json):
    """The resources ``plan_json`` creates (and nothing else) whose object an interrupted apply
    could leave in AWS outside the state: ``[{address, type, id}]``, ``id`` being its import ID
    (see ADOPTABLE). A create whose ID the plan does not know yet is left out."""
    found = []
    for item in plan_json.get("resource_changes") or []:
        change = item.get("change") or {}
        parts = ADOPTABLE.get(item.get("type"))
        if item.get("mode") != "managed" or change.get("actions") != ["create"] or not parts:
            continue
        values = [(change.get("after") or {}).get(part) for part in parts]
        if all(isinstance(value, str) and value for value in values):
            found.append({"address": item["address"], "type": item["type"], "id": "/".join(values)})
    return found


def imports_not_found(stderr):
    """The addresses whose import Terraform refused because no such object exists
    ("Cannot import non-existent remote object"), from a failed plan's error output (wrapped
    lines joined)."""
    text = " ".join(stderr.split())
    return sorted(set(_NOT_FOUND.findall(text)))
