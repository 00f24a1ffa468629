"""Every inline checkov skip in the Terraform code gives its reason.

checkov accepts ``#checkov:skip=CKV_AWS_18`` alone; strata wants
``#checkov:skip=CKV_AWS_18:<why this check does not apply here>``. Run by pre-commit (and so
by ``make lint``) on the files given, or on every ``*.tf`` under terraform/ without arguments.
Exits 1 naming each skip without a reason.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = re.compile(r"checkov:skip=(?P<check>[^:\s]*)(?::(?P<reason>.*))?")
MIN_REASON = 15  # characters: a sentence, not "n/a" or "todo"


def problems(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for match in SKIP.finditer(line):
            check, reason = match.group("check"), (match.group("reason") or "").strip()
            if not re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check):
                found.append(f"{path}:{number}: checkov skip of {check!r}: expected a check ID such as CKV_AWS_18")
            elif len(reason) < MIN_REASON:
                found.append(f"{path}:{number}: checkov skip of {check} has no reason: "
                             f"expected #checkov:skip={check}:<why it does not apply here>")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted((ROOT / "terraform").rglob("*.tf"))
    found = [problem for path in paths if path.suffix == ".tf" for problem in problems(path)]
    print("\n".join(found) or f"checkov skips: {len(paths)} file(s), every skip has its reason")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
