"""The execution environment's build context holds every piece, at the project's own pins.

``ansible-builder create`` runs for real (no container engine needed) and the context it
writes is read back: the Containerfile, the Python and Galaxy requirements, strata's own
collections, the Terraform download with its checksum, and the AWS provider's version
and checksums from the layers' lock file. Every version is compared with its one home in
the project (constraints.txt, requirements.yml, terraform/shared/versions.tf, the
.terraform.lock.hcl files, the preflight's defaults), so the image cannot drift from
what the tests run.
"""
from __future__ import annotations

import filecmp
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
EE_FILE = ROOT / "execution-environment.yml"
BUILDER = Path(sys.executable).parent / "ansible-builder"
LAYERS = ("bootstrap", "stateful", "stateless")


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[req.name.lower().replace("_", "-")] = str(req.specifier)
    return pins


def _lock_provider(lock_file: Path) -> tuple[str, list[str]]:
    text = lock_file.read_text()
    block = re.search(r'provider "registry\.terraform\.io/hashicorp/aws" \{(.*?)\n\}', text, re.S)
    assert block, f"{lock_file} locks no hashicorp/aws provider"
    version = re.search(r'^\s*version\s*=\s*"([^"]+)"', block.group(1), re.M).group(1)
    hashes = re.findall(r'"((?:h1|zh):[^"]+)"', block.group(1))
    return version, hashes


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ee") / "context"
    result = subprocess.run(
        [str(BUILDER), "create", "-f", str(EE_FILE), "-c", str(out), "--output-filename", "Containerfile"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No matches" not in result.stdout + result.stderr, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def containerfile(context) -> str:
    return (context / "Containerfile").read_text()


def _arg(containerfile: str, name: str) -> str:
    match = re.search(rf'^ARG {name}="?([^"\n]*)"?$', containerfile, re.M)
    assert match, f"the Containerfile declares no ARG {name}"
    return match.group(1)


def test_the_definition_is_version_3():
    assert yaml.safe_load(EE_FILE.read_text())["version"] == 3


def test_ansible_core_and_runner_are_pinned_as_the_project_pins_them(containerfile):
    refs = shlex.split(_arg(containerfile, "ANSIBLE_INSTALL_REFS"))
    pins = {Requirement(ref).name: str(Requirement(ref).specifier) for ref in refs}
    assert pins["ansible-core"] == _constraints()["ansible-core"], pins
    assert re.fullmatch(r"==\d+\.\d+\.\d+", pins["ansible-runner"]), pins
    # ansible-core 2.19 needs Python 3.11+: the interpreter the image installs.
    assert re.search(r"^ARG PYCMD=\"/usr/bin/python3\.1[1-9]\"$", containerfile, re.M)


def test_python_requirements_are_in_the_context_at_the_constraints_pins(context, containerfile):
    text = (context / "_build" / "requirements.txt").read_text()
    reqs = [Requirement(line) for line in (line.split("#", 1)[0].strip() for line in text.splitlines()) if line]
    assert "boto3" in {r.name for r in reqs} and "botocore" in {r.name for r in reqs}
    pins = _constraints()
    for req in reqs:
        assert str(req.specifier).startswith("=="), f"{req} is not pinned"
        assert pins.get(req.name.lower()) == str(req.specifier), f"{req}: constraints.txt pins {pins.get(req.name.lower())}"
    assert "--user-pip=requirements.txt" in containerfile


def test_galaxy_requirements_are_the_projects_and_get_installed(context, containerfile):
    in_context = context / "_build" / "requirements.yml"
    assert filecmp.cmp(in_context, ROOT / "requirements.yml", shallow=False)
    names = {c["name"] for c in yaml.safe_load(in_context.read_text())["collections"]}
    assert {"amazon.aws", "community.aws", "community.general"} <= names
    assert re.search(r"ansible-galaxy collection install .*-r requirements\.yml", containerfile)


def test_the_galaxy_ranges_admit_the_collections_the_tests_run():
    """The bundled collections of the pinned ansible package are the tested ones."""
    import ansible_collections  # the pip package's collections (requirements.txt pins ansible)
    import json

    base = Path(ansible_collections.__path__[0])
    for entry in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]:
        namespace, name = entry["name"].split(".")
        manifest = base / namespace / name / "MANIFEST.json"
        if not manifest.is_file():
            continue
        tested = json.loads(manifest.read_text())["collection_info"]["version"]
        assert tested in SpecifierSet(entry["version"].replace(" ", "")), (entry, tested)


def test_strata_collections_are_copied_whole_into_the_image(context, containerfile):
    source = ROOT / "collections" / "ansible_collections" / "strata"
    copied = context / "_build" / "collections" / "ansible_collections" / "strata"
    collections = sorted(p.parent.name for p in source.glob("*/galaxy.yml"))
    assert collections == ["aws", "deploy"], collections
    for name in collections:
        wanted = {p.relative_to(source / name) for p in (source / name).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts}
        got = {p.relative_to(copied / name) for p in (copied / name).rglob("*") if p.is_file()}
        assert wanted <= got, sorted(str(p) for p in wanted - got)
        for rel in wanted:
            assert filecmp.cmp(source / name / rel, copied / name / rel, shallow=False), rel
    assert ("COPY _build/collections/ansible_collections/strata/ "
            "/usr/share/ansible/collections/ansible_collections/strata/") in containerfile


def test_terraform_is_downloaded_by_version_and_checked_before_install(containerfile):
    version = _arg(containerfile, "TERRAFORM_VERSION")
    digest = _arg(containerfile, "TERRAFORM_SHA256")
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert re.fullmatch(r"[0-9a-f]{64}", digest), digest
    step = next(line for line in containerfile.splitlines() if "terraform_${TERRAFORM_VERSION}_linux_amd64.zip" in line)
    assert "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/" in step
    check = step.index('echo "${TERRAFORM_SHA256}  /tmp/terraform.zip" | sha256sum --check --strict -')
    assert check < step.index("zipfile -e") < step.index("install -m 0755")
    # The pinned version satisfies what the layers and the preflight require.
    required = re.search(r'required_version\s*=\s*"([^"]+)"', (ROOT / "terraform/shared/versions.tf").read_text()).group(1)
    assert version in SpecifierSet(required.replace(" ", "")), (version, required)
    defaults = yaml.safe_load((ROOT / "roles/preflight/defaults/main.yml").read_text())
    minimum = tuple(int(p) for p in str(defaults["strata_terraform_min_version"]).split("."))
    assert tuple(int(p) for p in version.split("."))[: len(minimum)] >= minimum


def test_the_aws_provider_comes_from_the_lock_file_into_the_preflights_mirror(context, containerfile):
    shared = (ROOT / "terraform/shared/versions.tf").read_text()
    pinned = re.search(r'source\s*=\s*"hashicorp/aws"\s*\n\s*version\s*=\s*"([^"]+)"', shared).group(1)
    locks = {layer: _lock_provider(ROOT / "terraform" / layer / ".terraform.lock.hcl") for layer in LAYERS}
    assert {v for v, _ in locks.values()} == {pinned}, locks
    assert len({tuple(h) for _, h in locks.values()}) == 1, "the layers lock different provider checksums"
    defaults = yaml.safe_load((ROOT / "roles/preflight/defaults/main.yml").read_text())
    assert str(defaults["strata_terraform_provider_version"]) == pinned

    tf = context / "_build" / "terraform"
    assert filecmp.cmp(tf / "versions.tf", ROOT / "terraform/shared/versions.tf", shallow=False)
    assert _lock_provider(tf / ".terraform.lock.hcl") == locks["stateful"]
    assert _lock_provider(tf / ".terraform.lock.hcl")[1], "the lock file carries no checksum"

    mirror = re.search(r"^ENV STRATA_TF_PROVIDER_MIRROR=(\S+)$", containerfile, re.M).group(1)
    step = next(line for line in containerfile.splitlines() if "terraform init" in line)
    assert f"TF_PLUGIN_CACHE_DIR={mirror} terraform init" in step
    assert "-lockfile=readonly" in step and "-backend=false" in step
    assert containerfile.index("COPY _build/terraform/") < containerfile.index(step)
    # Even without the variable, the preflight's toolchain looks there.
    sys.path.insert(0, str(ROOT / "collections"))
    from ansible_collections.strata.deploy.plugins.module_utils import terraform_toolchain

    assert mirror in terraform_toolchain.DEFAULT_SEARCH_ROOTS
    # The steps run as root, before the image drops to its unprivileged user.
    assert containerfile.index(step) < containerfile.rindex("USER 1000")


def test_the_navigator_config_runs_the_playbooks_in_that_image():
    config = yaml.safe_load((ROOT / "ansible-navigator.yml").read_text())["ansible-navigator"]
    ee = config["execution-environment"]
    assert ee["enabled"] is True
    assert ee["image"] == "strata-ee:latest"
    assert "ansible-builder build -f execution-environment.yml -t strata-ee:latest" in EE_FILE.read_text()
    # Credentials pass by name from the caller's environment; no value is written down.
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} <= set(ee["environment-variables"]["pass"])
    assert "set" not in ee["environment-variables"]
    assert config["mode"] == "stdout"
