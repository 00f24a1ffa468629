"""Stand-in for pip's get-pip.py, for ansible-test where its download is unreachable.

ansible-test creates each sanity test's virtual environment without pip and runs a
get-pip.py it downloads from its own CI file server (a host outside the package
registries) with the arguments of a pip install: ``python get-pip.py
--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``. This script does
the same with what Python and the package index already provide: ``ensurepip`` puts
the interpreter's bundled pip into the environment, which then installs the requested
packages (so pip ends at the version ansible-test asked for). ``--no-setuptools`` and
``--no-wheel`` are get-pip's own options: nothing beyond the named packages is
installed either way.

tools/ci/collections_check.py copies it into ansible-test's cache
(``~/.ansible/test/cache/get_pip_<version>.py``) only when the real script is neither
cached nor downloadable.
"""
from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

GET_PIP_OPTIONS = ("--no-setuptools", "--no-wheel")


def main(argv: list[str]) -> int:
    args = [arg for arg in argv if arg not in GET_PIP_OPTIONS]
    environ = dict(os.environ)
    ensurepip.bootstrap(upgrade=False)
    # ensurepip sets PIP_CONFIG_FILE=/dev/null in this process; the install that follows
    # honours the machine's pip configuration (index, certificates) like any pip would.
    return subprocess.call([sys.executable, "-m", "pip", "install", *args], env=environ)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
