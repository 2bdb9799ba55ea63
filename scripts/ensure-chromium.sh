#!/usr/bin/env bash
# Install Debian's Chromium where it is missing: tests/test_datasette.py drives
# /usr/bin/chromium headless through Playwright (which downloads no browser of its own).
# Idempotent, and silent when Chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-chromium: /usr/bin/chromium is missing; as root, run:" >&2
    echo "  apt-get update && apt-get install -y chromium" >&2
    exit 1
fi

echo "ensure-chromium: installing Debian's chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
