"""strata's IAM policies and the roles' IAM lists, generated from iam/actions.yml.

    python tools/dev/iam_policies.py                       # rewrite iam/*.json and the role READMEs
    python tools/dev/iam_policies.py --check               # exit 1 when any of them is out of step
    python tools/dev/iam_policies.py --project NAME --out DIR   # the two policies for another project

``iam/strata-deploy.json`` grants every action of iam/actions.yml (deploy, teardown, backup,
restore, the day-two writes); ``iam/strata-readonly.json`` only its ``read`` actions (plan,
status, drift). Each resource's actions make one statement on that resource's ARN patterns,
with ``{project}`` replaced by the project name.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "collections"))
# The project name as inventories accept it: the inventory's check is its one home.
from ansible_collections.strata.deploy.plugins.filter.variable_checks import (  # noqa: E402
    PROJECT_NAME,
    PROJECT_NAME_EXCLUDED,
)

SOURCE = ROOT / "iam" / "actions.yml"
DEFAULT_PROJECT = "strata"
KINDS = ("deploy", "readonly")
BEGIN = "<!-- BEGIN iam: generated from iam/actions.yml by tools/dev/iam_policies.py -->"
END = "<!-- END iam -->"
# What a read action's name starts with: anything else changes something (Simulate: IAM's policy
# simulator, a Read action in AWS's Service Authorization Reference).
READ_VERBS = ("Get", "List", "Describe", "View", "BatchGet", "Scan", "Query", "Simulate", "GET")


class ActionsError(ValueError):
    """iam/actions.yml is not what the generator expects."""


def _flat(items) -> list[str]:  # type: ignore[no-untyped-def]
    """A list of actions, YAML aliases of lists spliced in."""
    out: list[str] = []
    for item in items or []:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out


def load(path: Path = SOURCE) -> dict:
    """iam/actions.yml, checked: every entry names a known resource, every read action reads."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    resources = data["resources"]
    for role, entries in data["roles"].items():
        for entry in entries:
            if entry["resource"] not in resources:
                raise ActionsError(f"{path}: role {role} names resource {entry['resource']!r}, "
                                   f"expected one of {', '.join(resources)}")
            entry["read"], entry["write"] = _flat(entry.get("read")), _flat(entry.get("write"))
            for action in entry["read"]:
                if not is_read(action):
                    raise ActionsError(f"{path}: role {role} lists {action} under read, but its "
                                       f"name says it changes something: move it to write")
    return data


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(READ_VERBS)


def _sid(resource: str) -> str:
    return "".join(part.capitalize() for part in resource.split("_"))


def policy(data: dict, kind: str, project: str = DEFAULT_PROJECT) -> dict:
    """The policy document ``kind`` (deploy or readonly) for ``project``."""
    if kind not in KINDS:
        raise ValueError(f"kind is {kind!r}: expected one of {', '.join(KINDS)}")
    if not re.match(PROJECT_NAME, project) or re.search(PROJECT_NAME_EXCLUDED, project):
        raise ValueError(f"project name is {project!r}: expected what project_name in an inventory "
                         f"accepts, 3 to 30 lowercase letters, digits and hyphens, e.g. shop")
    actions: dict[str, set[str]] = {name: set() for name in data["resources"]}
    for entries in data["roles"].values():
        for entry in entries:
            actions[entry["resource"]].update(entry["read"])
            if kind == "deploy":
                actions[entry["resource"]].update(entry["write"])
    statements = [
        {
            "Sid": _sid(name),
            "Effect": "Allow",
            "Action": sorted(actions[name]),
            "Resource": [arn.replace("{project}", project) for arn in spec["arns"]],
        }
        for name, spec in data["resources"].items()
        if actions[name]
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def render_policy(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


def policy_files(data: dict, project: str = DEFAULT_PROJECT) -> dict[str, str]:
    """File name -> content of the two policies of ``project``."""
    return {f"{project}-{kind}.json": render_policy(policy(data, kind, project)) for kind in KINDS}


def role_block(data: dict, role: str) -> str:
    """The generated part of a role README's "IAM actions" section."""
    entries = data["roles"].get(role)
    if entries is None:
        raise ActionsError(f"role {role} is not in iam/actions.yml: add it (an empty list when it calls no AWS API)")
    lines = [BEGIN, ""]
    if not entries:
        lines.append("None: it makes no AWS call.")
    for entry in entries:
        title = data["resources"][entry["resource"]]["title"].replace("{project}", "<project>")
        parts = []
        if entry["read"]:
            parts.append("read " + ", ".join(f"`{a}`" for a in entry["read"]))
        if entry["write"]:
            parts.append("write " + ", ".join(f"`{a}`" for a in entry["write"]))
        note = f" {entry['note'][0].upper()}{entry['note'][1:]}." if entry.get("note") else ""
        lines.append(f"- {title}: {'; '.join(parts)}.{note}")
    lines += ["", END]
    return "\n".join(lines)


def update_readme(text: str, block: str, readme: Path) -> str:
    if BEGIN not in text or END not in text:
        raise ActionsError(f"{readme}: no '{BEGIN}' ... '{END}' markers under '## IAM actions'")
    head, rest = text.split(BEGIN, 1)
    return head + block + rest.split(END, 1)[1]


def _write(path: Path, content: str, check: bool, stale: list[str]) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return
    stale.append(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report files out of step, change nothing")
    parser.add_argument("--project", help="write only the two policies of this project name (with --out)")
    parser.add_argument("--out", type=Path, help="directory for --project's policies (e.g. build/iam)")
    args = parser.parse_args(argv)
    try:
        data = load()
        stale: list[str] = []
        if args.project or args.out:
            if not (args.project and args.out):
                parser.error("--project and --out go together")
            for name, content in policy_files(data, args.project).items():
                _write(args.out.resolve() / name, content, args.check, stale)
                print(args.out / name)
            return 1 if stale and args.check else 0
        for name, content in policy_files(data).items():
            _write(ROOT / "iam" / name, content, args.check, stale)
        for readme in sorted(ROOT.glob("roles/*/README.md")):
            text = readme.read_text(encoding="utf-8")
            _write(readme, update_readme(text, role_block(data, readme.parent.name), readme), args.check, stale)
    except (ActionsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if stale:
        print(("out of step (run: python tools/dev/iam_policies.py): " if args.check else "updated: ")
              + ", ".join(stale))
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
