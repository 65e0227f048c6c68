#!/usr/bin/env bash
# Install Debian packages whose command is missing: `install-debian.sh COMMAND:PACKAGE ...`.
# chromium renders the single-file Allure report headless (rig/report/chromium.py);
# openssh-server plays the remote hosts of the two-host xdist run on 127.0.0.1
# (rig/hosts/local.py); umockdev, its GObject introspection data and python3-gi serve the
# emulated sensor chips on /dev/i2c-N (emulators/sensors/umockdev/). A COMMAND already on
# PATH, or an absolute path that exists (a command, a library, a data file), is skipped.
#
# Needs root (or sudo without a password) and apt-get. Exits 0 when every command is
# available at the end, 2 (with the reason on stderr) when one cannot be installed here.
set -euo pipefail

die() { echo "install-debian.sh: $*" >&2; exit 2; }
have() { if [[ $1 == /* ]]; then [ -e "$1" ]; else command -v "$1" >/dev/null 2>&1; fi; }

[ $# -gt 0 ] || die "usage: install-debian.sh COMMAND:PACKAGE ..."
missing=()
for want in "$@"; do
  cmd="${want%%:*}" pkg="${want#*:}"
  [ -n "$cmd" ] && [ -n "$pkg" ] && [ "$cmd" != "$want" ] || die "$want: give COMMAND:PACKAGE"
  have "$cmd" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 || die "apt-get is not available: install ${missing[*]} by hand"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  die "installing ${missing[*]} needs root (or sudo without a password): run as root, or
       apt-get install ${missing[*]} yourself"
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended upgrades, a second `make` beside this one) may hold dpkg's lock:
# wait for it rather than fail.
lock=(-o DPkg::Lock::Timeout=600)
for pkg in "${missing[@]}"; do
  if ! apt-cache show "$pkg" >/dev/null 2>&1; then
    "${as_root[@]}" apt-get "${lock[@]}" update -qq || die "apt-get update failed"
    break
  fi
done
"${as_root[@]}" apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
  || die "apt-get install ${missing[*]} failed (see above)"

for want in "$@"; do
  have "${want%%:*}" || die "${want#*:} was installed but ${want%%:*} is not there"
done
