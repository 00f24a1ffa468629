"""README.md and docs/**/*.md: every relative link and #anchor resolves (GitHub's heading
anchors), every `make <target>` they name is a Makefile target, and every playbooks/<name>.yml
they name exists. Pure: reads files only."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_PLAYBOOK = re.compile(r"(?<![\w/.-])playbooks/([A-Za-z0-9_-]+\.ya?ml)\b")
# A command: make at the start of a line or span (after a prompt), or after && ; | (
_MAKE = re.compile(r"(?:^\s*(?:\$\s+)?|[;&|(]\s*)make\s+([^;&|#`\n]*)")
_TARGET = re.compile(r"^([A-Za-z0-9_.%/-]+(?:[ \t]+[A-Za-z0-9_.%/-]+)*)[ \t]*::?(?![=])")


def split_code(text: str) -> tuple[list[str], list[str]]:
    """(prose lines, code lines) of a Markdown text: fenced blocks and indented blocks (four
    spaces after a blank line) are code; inline code spans stay in the prose lines."""
    prose, code = [], []
    fence, indented, previous_blank = None, False, True
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence:
            if match and match.group(1) == fence:
                fence = None
            else:
                code.append(line)
            previous_blank = False
            continue
        if match:
            fence, indented, previous_blank = match.group(1), False, False
            continue
        blank = not line.strip()
        if line.startswith("    ") and not blank and (previous_blank or indented):
            indented = True
            code.append(line)
        elif blank:
            prose.append(line)
        else:
            indented = False
            prose.append(line)
        previous_blank = blank
    return prose, code


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: markup dropped, lowercase, punctuation dropped (letters,
    digits, spaces, hyphens and underscores stay), each space a hyphen."""
    text = _CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a Markdown text; a repeated one gets -1, -2, ... as on GitHub."""
    seen: Counter[str] = Counter()
    found = set()
    prose, _code = split_code(text)
    for line in prose:
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        name = base if seen[base] == 0 else f"{base}-{seen[base]}"
        seen[base] += 1
        found.add(name)
    return found


def links(text: str) -> list[str]:
    """The targets of the inline links and images in the prose (not in code)."""
    prose, _code = split_code(text)
    targets = []
    for line in prose:
        targets += _LINK.findall(_CODE_SPAN.sub("", line))
    return targets


def broken_links(doc: Path, root: Path = ROOT) -> list[str]:
    """Each relative link of ``doc`` whose file does not exist or whose #anchor is not a
    heading of its target, with the reason."""
    problems = []
    for target in links(doc.read_text()):
        if _SCHEME.match(target) or target.startswith("//"):
            continue  # http(s), mailto: not checked here
        path_part, _, anchor = target.partition("#")
        dest = (doc.parent / path_part).resolve() if path_part else doc
        if not dest.is_relative_to(root.resolve()):
            problems.append(f"{target}: leaves the repository")
            continue
        if not dest.exists():
            problems.append(f"{target}: {dest.relative_to(root.resolve())} does not exist")
            continue
        if anchor:
            if dest.suffix != ".md" or dest.is_dir():
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif anchor not in anchors(dest.read_text()):
                problems.append(f"{target}: no heading with anchor #{anchor} in {dest.name}")
    return problems


def make_targets(makefile: Path) -> set[str]:
    targets = set()
    for line in makefile.read_text().splitlines():
        if line.startswith(("\t", "#", " ")):
            continue
        match = _TARGET.match(line)
        if match:
            targets.update(match.group(1).split())
    return targets


def named_make_targets(text: str) -> set[str]:
    """The target of every ``make ...`` command in code (code blocks and inline code spans)."""
    prose, code = split_code(text)
    snippets = code + [m.group(2) for line in prose for m in _CODE_SPAN.finditer(line)]
    named = set()
    for snippet in snippets:
        for match in _MAKE.finditer(snippet):
            # The target is the first word that is no option and no VAR=value.
            words = [w for w in match.group(1).split() if not w.startswith("-") and "=" not in w]
            if words and re.fullmatch(r"[A-Za-z0-9_.-]+", words[0]):
                named.add(words[0])
    return named


def named_playbooks(text: str) -> set[str]:
    return set(_PLAYBOOK.findall(text))


# --- the checker itself, on documents made for the purpose -----------------------------


def test_slugs_follow_githubs_rules():
    assert slug("4. The outcome of a job") == "4-the-outcome-of-a-job"
    assert slug("Status: where does an environment stand?") == "status-where-does-an-environment-stand"
    assert slug("The `make local` target, and `plan_bundle`") == "the-make-local-target-and-plan_bundle"
    assert slug("Automation Controller / AWX") == "automation-controller--awx"
    assert slug("See [the vault](data-safety.md) now") == "see-the-vault-now"
    text = "# Notes\n\n## Setup\n\n    # not a heading: code\n\n## Setup\n\n```\n## Setup\n```\n\n## Setup\n"
    assert anchors(text) == {"notes", "setup", "setup-1", "setup-2"}


def test_broken_links_and_anchors_are_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other\n\n## Part two\n")
    doc = tmp_path / "README.md"
    doc.write_text(
        "# Top\n\n## Usage\n\n"
        "[ok](docs/other.md#part-two) [ok](#usage) [ok](docs/) ![img](docs/other.md) <https://example.com>\n"
        "[web](https://example.com/x#y) `[not a link](nowhere.md)`\n\n"
        "    [not a link either](nowhere.md)\n\n"
        "[gone](docs/missing.md) [bad anchor](docs/other.md#part-three) [self](#nope) [out](../x.md)\n")
    assert broken_links(doc, tmp_path) == [
        "docs/missing.md: docs/missing.md does not exist",
        "docs/other.md#part-three: no heading with anchor #part-three in other.md",
        "#nope: no heading with anchor #nope in README.md",
        "../x.md: leaves the repository",
    ]


def test_make_commands_and_playbooks_are_read_from_code_only():
    text = ("Make sure to make every machine agree, then run `make local` and\n"
            "`make molecule MOLECULE_ARGS=day2`; see playbooks/deploy.yml.\n\n"
            "    $ make setup && make browser-deps   # comment make nothing\n"
            "    the lint hooks (make lint runs them all)\n"
            "    .venv/bin/ansible-playbook playbooks/status.yml -i inventories/<env>\n"
            "    playbooks/<name>.yml\n")
    assert named_make_targets(text) == {"local", "molecule", "setup", "browser-deps", "lint"}
    assert named_playbooks(text) == {"deploy.yml", "status.yml"}


def test_makefile_targets_are_read(tmp_path):
    makefile = tmp_path / "Makefile"
    makefile.write_text("X := 1\nY ?= 2\n.PHONY: a b\na: b ## help\n\techo make c\nb c:\n$(STAMP): x\n")
    assert {"a", "b", "c"} <= make_targets(makefile)
    assert "X" not in make_targets(makefile) and "Y" not in make_targets(makefile)


# --- the project's documents --------------------------------------------------------------


def test_the_documents_are_found():
    names = {doc.relative_to(ROOT).as_posix() for doc in DOCS}
    assert {"README.md", "docs/data-safety.md", "docs/design-choices.md", "docs/automation-controller.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(doc):
    assert broken_links(doc) == []


def test_the_readme_links_to_every_docs_page():
    readme = ROOT / "README.md"
    linked = {(readme.parent / target.partition("#")[0]).resolve() for target in links(readme.read_text())}
    missing = [doc.relative_to(ROOT).as_posix() for doc in DOCS[1:] if doc.resolve() not in linked]
    assert missing == []


def test_every_make_target_named_exists():
    targets = make_targets(ROOT / "Makefile")
    assert {"local", "test", "setup"} <= targets
    named = {}
    for doc in DOCS:
        for target in named_make_targets(doc.read_text()):
            named.setdefault(target, doc.relative_to(ROOT).as_posix())
    assert {"local", "test"} <= set(named)
    assert {target: where for target, where in named.items() if target not in targets} == {}


def test_every_playbook_named_exists():
    named = {}
    for doc in DOCS:
        for playbook in named_playbooks(doc.read_text()):
            named.setdefault(playbook, doc.relative_to(ROOT).as_posix())
    assert len(named) >= 10
    assert {playbook: where for playbook, where in named.items() if not (ROOT / "playbooks" / playbook).is_file()} == {}


def test_the_readme_indexes_every_playbook():
    indexed = named_playbooks((ROOT / "README.md").read_text())
    assert sorted(p.name for p in (ROOT / "playbooks").glob("*.yml") if p.name not in indexed) == []
