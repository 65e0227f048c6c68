#!/usr/bin/env bash
# Install Debian's chromium when it is missing: the report tests render the single-file Allure
# report headless (rig/report/chromium.py). Does nothing when a chromium is already installed.
#
# Needs root (or sudo without a password) and apt-get. Exits 0 when chromium is available at
# the end, 2 (with the reason on stderr) when it cannot be installed here.
set -euo pipefail

die() { echo "install-chromium.sh: $*" >&2; exit 2; }

for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then
    exit 0
  fi
done

command -v apt-get >/dev/null 2>&1 || die "apt-get is not available: install chromium by hand"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  die "installing chromium needs root (or sudo without a password): run as root, or
       apt-get install chromium yourself"
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
  "${as_root[@]}" apt-get update -qq || die "apt-get update failed"
fi
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium \
  || die "apt-get install chromium failed (see above)"

command -v chromium >/dev/null 2>&1 || die "chromium was installed but is not on PATH"
