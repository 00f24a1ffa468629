"""Build strata's own collections and run ``ansible-test sanity`` on each (``make collections``).

For each collection under collections/ansible_collections/strata:

1. ``ansible-galaxy collection build`` into ``build/collections`` (the artifact Galaxy or an
   execution environment would install);
2. ``ansible-test sanity --python 3.11`` from inside the collection directory, as ansible-test
   requires. The collection's dependencies (galaxy.yml) must sit in the same collection root for
   the import, ansible-doc and validate-modules tests: the installed copy from the project's
   Python (the ``ansible`` package bundles them) is linked in as
   ``collections/ansible_collections/<namespace>/<name>`` (git-ignored) when nothing is there.

Every sanity test runs offline here except for one download: ansible-test creates a virtual
environment per sanity test without pip and bootstraps pip with a get-pip.py it fetches from its
own CI file server, which this network does not reach (the packages themselves come from the
package index). When that script is neither in ansible-test's cache nor downloadable, the cache
gets tools/ci/get_pip_standin.py, which does the same with ``ensurepip``. The sanity venvs are
cached in ~/.ansible/test/venv, so only the first run pays for creating them.

Exits non-zero when a build or a sanity test fails; prints the duration of each step.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / "collections" / "ansible_collections"
OWN = ("strata.aws", "strata.deploy")
STANDIN = Path(__file__).with_name("get_pip_standin.py")


def galaxy(collection: str) -> dict:
    namespace, name = collection.split(".")
    return yaml.safe_load((COLLECTIONS / namespace / name / "galaxy.yml").read_text())


def link_dependencies(collection: str) -> None:
    """Link each dependency the project's Python has installed into the collection root."""
    for dependency in galaxy(collection).get("dependencies") or {}:
        if dependency in OWN:
            continue
        namespace, name = dependency.split(".")
        target = COLLECTIONS / namespace / name
        if target.is_symlink() and not target.exists():
            target.unlink()  # a link left by an earlier run into a Python that is gone
        if target.exists():
            continue
        spec = importlib.util.find_spec(f"ansible_collections.{namespace}.{name}")
        if spec is None or not spec.submodule_search_locations:
            sys.exit(f"{collection} depends on {dependency}, which is not installed (make setup installs it)")
        target.parent.mkdir(exist_ok=True)
        target.symlink_to(list(spec.submodule_search_locations)[0], target_is_directory=True)
        print(f"linked {dependency} for the sanity tests: {target.relative_to(ROOT)}")


def pip_bootstrap_version() -> str:
    """The pip version ansible-test bootstraps into its sanity environments."""
    from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel

    class _Python:  # get_venv_packages reads only .version
        version = f"{sys.version_info.major}.{sys.version_info.minor}"

    return get_venv_packages(_Python())["pip"]


def ensure_pip_bootstrap() -> None:
    version = pip_bootstrap_version()
    cached = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{version.replace('.', '_')}.py"
    if cached.exists():
        return
    cached.parent.mkdir(parents=True, exist_ok=True)
    url = f"https://ci-files.testing.ansible.com/ansible-test/get-pip-{version}.py"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (fixed https URL)
            cached.write_bytes(response.read())
        print(f"cached ansible-test's pip {version} bootstrap script from {url}")
    except OSError as err:
        shutil.copyfile(STANDIN, cached)
        print(f"ansible-test's pip bootstrap script is unreachable ({err}); using {STANDIN.relative_to(ROOT)}")


def timed(label: str, command: list[str], cwd: Path, results: list) -> bool:
    start = time.monotonic()
    print(f"--- {label}: {' '.join(command)}", flush=True)
    ok = subprocess.run(command, cwd=cwd, check=False).returncode == 0
    seconds = time.monotonic() - start
    results.append((label, ok, seconds))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", default=str(ROOT / "build" / "collections"), help="where the built artifacts go")
    parser.add_argument("--python", default=f"{sys.version_info.major}.{sys.version_info.minor}",
                        help="the Python version ansible-test sanity runs the tests with")
    parser.add_argument("--skip-test", action="append", default=[], help="a sanity test to skip (repeatable)")
    parser.add_argument("collections", nargs="*", default=list(OWN), help="collections to check (default: all of strata's)")
    args = parser.parse_args()

    bindir = Path(sys.executable).parent
    env_path = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["PATH"] = env_path  # ansible-test finds python<version> and its tools here
    Path(args.output).mkdir(parents=True, exist_ok=True)
    ensure_pip_bootstrap()

    results: list = []
    for collection in args.collections:
        namespace, name = collection.split(".")
        path = COLLECTIONS / namespace / name
        timed(f"build {collection}", [str(bindir / "ansible-galaxy"), "collection", "build", "--force",
                                      "--output-path", args.output, str(path)], ROOT, results)
        link_dependencies(collection)
        skips = [item for test in args.skip_test for item in ("--skip-test", test)]
        timed(f"sanity {collection}", [str(bindir / "ansible-test"), "sanity", "--python", args.python,
                                       "--color", "no", *skips], path, results)

    print("\n".join(f"{'ok  ' if ok else 'FAIL'} {label} ({seconds:.1f} s)" for label, ok, seconds in results))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
