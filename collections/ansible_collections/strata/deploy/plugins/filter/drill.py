# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for playbooks/drill.yml: what a restore drill restores where (the scratch names),
its report (reports/drill.json: per table and bucket what was restored, verified and how long it
took; the recovery time and point against their objectives) and the report as JUnit XML."""
from __future__ import annotations

import datetime

from ansible.errors import AnsibleFilterError

from ansible_collections.strata.deploy.plugins.module_utils.junit import junit_xml

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NAME_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_NAME = 63  # S3's limit (DynamoDB's is 255)


def drill_plan(manifest, prefix, stamp):
    """Where each table and bucket of a backup's ``manifest`` is restored in a drill: one entry per
    resource, ``{kind, source, target}``, tables first. The scratch name is ``<prefix><stamp>``
    (lower case, as bucket names must be), with ``-<n>`` from the second resource of a kind on."""
    if not prefix or not stamp:
        raise AnsibleFilterError(f"drill_plan: prefix {prefix!r} and stamp {stamp!r} are both needed")
    base = f"{prefix}{stamp}".lower()
    plan = []
    for kind, section in (("table", "tables"), ("bucket", "buckets")):
        for index, entry in enumerate((manifest or {}).get(section) or []):
            target = base if index == 0 else f"{base}-{index + 1}"
            if len(target) > MAX_NAME:
                raise AnsibleFilterError(f"drill_plan: the scratch name {target} is longer than {MAX_NAME} characters; "
                                         "use a shorter project_name or env")
            plan.append({"kind": kind, "source": entry["name"], "target": target})
    return plan


def _parse(text):
    try:
        return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def _backup_created(backup):
    manifest = backup.get("manifest") or {}
    created = _parse(manifest.get("created_at"))
    if created is None:
        try:
            created = datetime.datetime.strptime(backup.get("name") or "", NAME_FORMAT).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            created = None
    return created


def _messages(*results):
    return [str(r.get("msg")) for r in results if isinstance(r, dict) and r.get("failed")]


def _resource(run):
    """One table's or bucket's record from what the drill's tasks returned for it."""
    verify = run.get("verify") or {}
    checked = (verify.get("tables") or []) + (verify.get("buckets") or [])
    counts = checked[0] if checked else {}
    problems = _messages(run.get("create") or {}, run.get("restore") or {})
    if verify.get("failed") or verify.get("skipped") or not checked:
        problems += _messages(verify) or ["not verified: the restore failed"]
    problems += verify.get("problems") or []
    seconds = round(max(0.0, float(run["verified_at"]) - float(run["started_at"])), 3)
    return {
        "kind": run["kind"], "source": run["source"], "target": run["target"], "method": run["method"],
        "expected": counts.get("expected"), "actual": counts.get("actual"),
        "seconds": seconds, "ok": not problems, "problems": problems,
    }


def drill_report(runs, backup, env, account, generated_at, started_at, finished_at, rto_objective_minutes,
                 rpo_objective_hours, source, method, prefix, leftovers=None, removed=None):
    """The report of a drill (reports/drill.json) from ``runs``: per resource ``kind``, ``source``,
    ``target``, ``method``, ``started_at`` and ``verified_at`` (epoch seconds) and the results of
    its ``create``, ``restore`` and ``verify`` tasks; ``backup`` is strata.aws.backup_find's result.

    The recovery time (RTO) is per resource from its start to its verification, and in all from
    the drill's start to the last verification (``finished_at``); the recovery point (RPO) is the
    backup's age at ``generated_at``. ``outcome`` is ``failed`` when data differs, a restore
    failed, an objective was missed or a scratch resource could not be removed."""
    resources = [_resource(run) for run in runs or []]
    now = _parse(generated_at)
    created = _backup_created(backup or {})
    age_hours = round((now - created).total_seconds() / 3600, 2) if now and created else None
    total = round(max(0.0, float(finished_at) - float(started_at)), 3)
    rto = {"seconds": total, "minutes": round(total / 60, 2), "objective_minutes": float(rto_objective_minutes),
           "met": total <= float(rto_objective_minutes) * 60}
    rpo = {"backup_created": created.strftime(TIME_FORMAT) if created else None, "age_hours": age_hours,
           "objective_hours": float(rpo_objective_hours),
           "met": age_hours is not None and age_hours <= float(rpo_objective_hours)}
    removed = removed or {}
    planned = {(r["kind"], r["target"]) for r in resources}
    gone = {("table", t) for t in removed.get("tables") or []} | {("bucket", b) for b in removed.get("buckets") or []}
    left = sorted(f"{kind} {name}" for kind, name in planned - gone) if removed.get("failed") is not True else \
        sorted(f"{kind} {name}" for kind, name in planned)
    problems = [p for r in resources for p in r["problems"]]
    if not resources:
        problems.append("the backup holds no table and no bucket: nothing was restored")
    missed = []
    if not rto["met"]:
        missed.append(f"recovery time {rto['minutes']} minutes is above the objective of "
                      f"{rto['objective_minutes']:g} minutes (rto_objective_minutes)")
    if not rpo["met"]:
        missed.append(f"recovery point: the backup is {age_hours if age_hours is not None else 'of unknown age'} hours "
                      f"old, above the objective of {rpo['objective_hours']:g} hours (backup_max_age_hours)")
    cleanup = [f"scratch {name} was not removed" for name in left]
    if removed.get("failed"):
        cleanup.insert(0, f"removing the scratch resources failed: {removed.get('msg')}")
    ok = not problems and not missed and not cleanup
    report = {
        "env": env, "account": account, "generated_at": generated_at, "outcome": "ok" if ok else "failed", "ok": ok,
        "backup": {"name": (backup or {}).get("name"), "dir": (backup or {}).get("dir"), "source": source},
        "method": method, "resources": resources, "rto": rto, "rpo": rpo,
        "scratch": {"prefix": prefix, "leftovers_removed": sorted((leftovers or {}).get("tables") or [])
                    + sorted((leftovers or {}).get("buckets") or []), "not_removed": left},
        "problems": problems, "missed_objectives": missed, "cleanup_problems": cleanup,
    }
    report["lines"] = _lines(report)
    return report


def _lines(report):
    lines = [f"Drill of {report['env']} from backup {report['backup']['name']} ({report['backup']['source']}, "
             f"tables by {report['method']}): {report['outcome']}"]
    for r in report["resources"]:
        noun = "items" if r["kind"] == "table" else "objects"
        lines.append(f"  {r['kind']} {r['source']} -> {r['target']}: {r['actual']} of {r['expected']} {noun} "
                     f"verified in {r['seconds']} s" + ("" if r["ok"] else f" - {len(r['problems'])} problem(s)"))
    lines.append(f"  recovery time {report['rto']['seconds']} s (objective {report['rto']['objective_minutes']:g} min)"
                 f"; recovery point {report['rpo']['age_hours']} h (objective {report['rpo']['objective_hours']:g} h)")
    lines += [f"  PROBLEM: {p}" for p in report["problems"] + report["missed_objectives"] + report["cleanup_problems"]]
    return lines


def drill_junit(report):
    """A drill report as JUnit XML: one testcase per restored table and bucket (one failure per
    difference), and the testcases ``recovery time`` and ``recovery point`` and ``cleanup``."""
    cases = [{"name": f"{r['kind']} {r['source']}", "seconds": r["seconds"], "failures": r["problems"]}
             for r in report["resources"]]
    cases += [
        {"name": "recovery time", "seconds": report["rto"]["seconds"],
         "failures": [m for m in report["missed_objectives"] if m.startswith("recovery time")]},
        {"name": "recovery point", "seconds": 0,
         "failures": [m for m in report["missed_objectives"] if m.startswith("recovery point")]},
        {"name": "cleanup", "seconds": 0, "failures": report["cleanup_problems"]},
    ]
    return junit_xml("drill", report["env"], report["generated_at"], cases)


def drill_record(report):
    """What ``status.yml`` shows of the last drill, kept in the state bucket: when, outcome, backup,
    recovery time and point, and the problems."""
    return {key: report[key] for key in ("env", "generated_at", "outcome", "backup", "method", "rto", "rpo",
                                         "problems", "missed_objectives", "cleanup_problems")}


class FilterModule:
    def filters(self):
        return {"drill_plan": drill_plan, "drill_report": drill_report, "drill_junit": drill_junit,
                "drill_record": drill_record}
