"""Keep each role's README in step with its meta/argument_specs.yml.

The README's variables section lies between two markers and is generated from the
argument specs. ``python tools/ci/role_docs.py`` rewrites it; ``--check`` only reports
the roles whose README is out of date (exit 1), which the test suite does.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BEGIN = "<!-- BEGIN variables: generated from meta/argument_specs.yml by tools/ci/role_docs.py -->"
END = "<!-- END variables -->"


def _cell(value) -> str:
    text = " ".join(value) if isinstance(value, list) else str(value)
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _default(spec: dict) -> str:
    if "default" not in spec:
        return "required" if spec.get("required") else ""
    value = spec["default"]
    if isinstance(value, (dict, list)):
        return f"`{yaml.safe_dump(value, default_flow_style=True).strip()}`"
    if value == "":
        return '`""`'
    return f"`{value}`"


def render(specs: dict) -> str:
    lines = [BEGIN]
    for entry, spec in specs["argument_specs"].items():
        if len(specs["argument_specs"]) > 1:
            lines += ["", f"Entry point `{entry}`: {spec.get('short_description', '')}"]
        lines += ["", "| variable | type | default | description |", "|---|---|---|---|"]
        for name, option in spec.get("options", {}).items():
            kind = option.get("type", "str")
            if option.get("elements"):
                kind += f" of {option['elements']}"
            description = _cell(option.get("description", ""))
            if option.get("choices"):
                description += " Choices: " + ", ".join(f"`{c}`" for c in option["choices"]) + "."
            lines.append(f"| `{name}` | {kind} | {_cell(_default(option))} | {description} |")
    lines.append(END)
    return "\n".join(lines)


def update(readme: Path, block: str) -> str:
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    raise SystemExit(f"{readme}: no '{BEGIN}' ... '{END}' markers to fill")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="report out-of-date READMEs, change nothing")
    args = parser.parse_args()
    stale = []
    for specs_file in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        role = specs_file.parent.parent
        readme = role / "README.md"
        wanted = update(readme, render(yaml.safe_load(specs_file.read_text(encoding="utf-8"))))
        if readme.read_text(encoding="utf-8") != wanted:
            stale.append(role.name)
            if not args.check:
                readme.write_text(wanted, encoding="utf-8")
    if stale:
        print(("out of date: " if args.check else "updated: ") + ", ".join(stale))
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
