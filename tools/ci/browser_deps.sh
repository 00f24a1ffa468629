#!/bin/sh
# Install headless Chromium and its WebDriver (chromedriver) from the distribution's
# packages, only those missing: the browser test (tests/unit/test_site_browser.py) drives
# them. Run by `make browser-deps`, which `make unit` and `make test` depend on.
# Debian and Ubuntu (apt); elsewhere, put chromium and chromedriver on PATH yourself.
set -eu

PACKAGES="chromium chromium-driver fonts-liberation"

if ! command -v dpkg-query >/dev/null 2>&1; then
    if command -v chromedriver >/dev/null 2>&1 \
        && { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }; then
        echo "browser-deps: chromium and chromedriver found on PATH"
        exit 0
    fi
    echo "browser-deps: no dpkg/apt on this machine, and chromium or chromedriver is not on PATH;" \
        "install Chromium and its chromedriver with the system's package manager" >&2
    exit 1
fi

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q ' installed$'; then
        missing="$missing $package"
    fi
done
if [ -z "$missing" ]; then
    echo "browser-deps: $PACKAGES already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser-deps: missing Debian packages:$missing, and apt-get is not available to install them" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "browser-deps: missing Debian packages:$missing; installing them needs root (run as root:" \
        "apt-get install --no-install-recommends$missing)" >&2
    exit 1
fi

echo "browser-deps: installing$missing"
# A fresh machine may have no package lists yet.
if ! $sudo apt-get update -qq; then
    echo "browser-deps: apt-get update failed; is the distribution's package mirror reachable?" >&2
    exit 1
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; then
    echo "browser-deps: apt-get install$missing failed" >&2
    exit 1
fi
