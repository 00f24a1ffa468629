"""Print the figures that say how crowded the house is, the ones the renovation was measured by.

    python tools/dev/house_metrics.py [--json]

- states per module: the ``state`` choices of each module of the two collections (most first);
- longest source files of the collections (Python, tests included);
- lines of Jinja statements (``{% ... %}``) in roles' and playbooks' YAML;
- longest playbooks;
- reads of roles' private (``_<role>_...``) variables in playbooks;
- README.md lines.

Reads files only; nothing runs.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / "collections" / "ansible_collections" / "strata"
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir()) if (ROOT / "roles").is_dir() else []


def module_states(path: Path) -> list[str]:
    """The ``state`` choices in a module's DOCUMENTATION (empty when it has no state option)."""
    import yaml

    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DOCUMENTATION" for t in node.targets):
            doc = yaml.safe_load(node.value.value) or {}
            return list(((doc.get("options") or {}).get("state") or {}).get("choices") or [])
    return []


def jinja_statement_lines(paths) -> dict[str, int]:
    counts = {}
    for path in paths:
        lines = sum(1 for line in path.read_text().splitlines() if "{%" in line)
        if lines:
            counts[str(path.relative_to(ROOT))] = lines
    return counts


def private_reads(playbooks) -> dict[str, int]:
    pattern = re.compile(r"\b_(" + "|".join(map(re.escape, ROLES)) + r")_[a-z_]+") if ROLES else None
    counts = {}
    for path in playbooks:
        found = len(pattern.findall(path.read_text())) if pattern else 0
        if found:
            counts[str(path.relative_to(ROOT))] = found
    return counts


def measure() -> dict:
    modules = sorted(COLLECTIONS.glob("*/plugins/modules/*.py"))
    states = {f"{p.parts[-4]}.{p.stem}": module_states(p) for p in modules}
    sources = sorted(COLLECTIONS.glob("*/**/*.py"))
    lengths = sorted(((len(p.read_text().splitlines()), str(p.relative_to(ROOT))) for p in sources), reverse=True)
    yaml_files = sorted((ROOT / "roles").glob("**/*.yml")) + sorted((ROOT / "playbooks").glob("*.yml"))
    playbooks = sorted((ROOT / "playbooks").glob("*.yml"))
    jinja = jinja_statement_lines(yaml_files)
    return {
        "states_per_module": dict(sorted(states.items(), key=lambda kv: -len(kv[1]))),
        "most_states": max((len(v) for v in states.values()), default=0),
        "longest_sources": [{"lines": n, "file": f} for n, f in lengths[:5]],
        "jinja_statement_lines": sum(jinja.values()),
        "jinja_statement_lines_by_file": jinja,
        "longest_playbooks": sorted(({"lines": len(p.read_text().splitlines()), "file": str(p.relative_to(ROOT))}
                                     for p in playbooks), key=lambda d: -d["lines"])[:5],
        "private_reads_from_playbooks": sum(private_reads(playbooks).values()),
        "private_reads_by_playbook": private_reads(playbooks),
        "readme_lines": len((ROOT / "README.md").read_text().splitlines()),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"most state choices of a module: {figures['most_states']}")
    for name, choices in figures["states_per_module"].items():
        if choices:
            print(f"  {name}: {len(choices)} ({', '.join(choices)})")
    print("longest source files of the collections:")
    for entry in figures["longest_sources"]:
        print(f"  {entry['lines']:5d}  {entry['file']}")
    print(f"Jinja statement lines in roles and playbooks: {figures['jinja_statement_lines']}")
    for name, count in sorted(figures["jinja_statement_lines_by_file"].items(), key=lambda kv: -kv[1]):
        print(f"  {count:3d}  {name}")
    print("longest playbooks:")
    for entry in figures["longest_playbooks"]:
        print(f"  {entry['lines']:5d}  {entry['file']}")
    print(f"private-variable reads from playbooks: {figures['private_reads_from_playbooks']}")
    print(f"README.md lines: {figures['readme_lines']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
