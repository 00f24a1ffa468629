# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for what playbooks/deploy.yml, teardown.yml and plan.yml say at their end."""
from __future__ import annotations

# In local mode (an emulator endpoint) the CloudFront domain exists only in the emulator: the page
# is served on this machine instead (make local, make local-page).
LOCAL_PAGE = "http://127.0.0.1:8080/ (this machine; started by make local, or: make local-page)"
# Each layer and the layer it needs, in the order a deploy runs them.
LAYER_ORDER = (("bootstrap", ""), ("stateful", "bootstrap"), ("stateless", "stateful"))


def _true(value):
    """A report's ``changed``, as the ``bool`` filter reads it."""
    return value if isinstance(value, bool) else str(value).lower() in ("yes", "on", "true", "1")


def deploy_report(layer_reports, stateful_outputs, stateless_outputs, seed_report, replacements, plan_bundle=""):
    """The report of a deploy (reports/deploy.json): ``urls`` (``site``, the CloudFront address, and
    ``api``; empty when not deployed), ``table``, ``seed`` (the items the seed ``written`` and found
    ``present``), ``layers`` (``layer_reports``: terraform_layer_reports), ``plan_bundle`` (the
    reviewed plans applied, if any), ``replacements`` (stateful_carry_report: per table or bucket a
    confirmed apply replaced or destroyed, whether its data was carried over) and
    ``layers_changed``."""
    return {
        "urls": {"site": f"https://{stateful_outputs['cloudfront_domain']}" if "cloudfront_domain" in stateful_outputs else "",
                 "api": stateless_outputs.get("api_url", "")},
        "table": stateful_outputs.get("dynamodb_table_name", ""),
        "seed": {"written": seed_report.get("written", []), "present": seed_report.get("present", [])},
        "layers": layer_reports,
        "plan_bundle": plan_bundle,
        "replacements": replacements,
        "layers_changed": any(_true(report["changed"]) for report in layer_reports.values()),
    }


def deploy_summary(report, env, account, endpoint_url, region):
    """The lines a deploy ends with, from its :func:`deploy_report`: the environment, the site (the
    local page with an emulator endpoint, else the CloudFront address) and the visits table with
    what the seed wrote, the API, each layer's report line and each replaced table or bucket."""
    lines = [f"{env} in account {account} ({endpoint_url or 'AWS ' + str(region)})"]
    if report["urls"]["site"]:
        lines.append("site:  " + (LOCAL_PAGE if endpoint_url else report["urls"]["site"]))
        lines.append(f"table: {report['table']} (seeded {len(report['seed']['written'])},"
                     f" already present {len(report['seed']['present'])})")
    if report["urls"]["api"]:
        lines.append(f"api:   {report['urls']['api']}")
    lines += [str(layer["line"]) for layer in report["layers"].values()]
    lines += [f"replaced {carry['line']}" for carry in report["replacements"]]
    return lines


def teardown_summary(layer_reports, env, account, backup_report, check_mode, backend_destroyed, state_bucket):
    """The lines a teardown ends with: the environment, the backup taken first (``backup_report``,
    None when no stateful layer was deployed) and its copy in the vault, each layer's report line
    and what became of the state backend."""
    lines = [f"{env} in account {account}"]
    if backup_report is not None:
        lines.append(f"backup: {'would be written to ' if check_mode else ''}{backup_report['dir']} "
                     f"({'verified; ' if backup_report['verified'] else ''}items {backup_report['tables']}; "
                     f"objects {backup_report['buckets']})")
        if backup_report.get("vault"):
            lines.append(f"vault: {backup_report['vault']} (verified)")
    else:
        lines.append("backup: none needed (no stateful layer deployed)")
    lines += [str(report["line"]) for report in layer_reports.values()]
    lines.append("state backend: " + ("destroyed" if backend_destroyed else f"kept ({state_bucket})"))
    return lines


def plan_bundle_layers(records):
    """The layers of a plan bundle's manifest, in the order a deploy applies them: each layer's
    record of its saved plan (``records``: terraform_layer_bundle_records) with ``layer``,
    ``status`` (``planned``) and ``predecessor``; a layer without a record (its predecessor did
    not exist yet) is ``planned after its predecessor``."""
    layers = []
    for name, predecessor in LAYER_ORDER:
        if name in records:
            layers.append(dict(records[name], layer=name, status="planned", predecessor=predecessor))
        else:
            layers.append({"layer": name, "status": "planned after its predecessor", "predecessor": predecessor})
    return layers


class FilterModule:
    def filters(self):
        return {"deploy_report": deploy_report, "deploy_summary": deploy_summary, "teardown_summary": teardown_summary,
                "plan_bundle_layers": plan_bundle_layers}
