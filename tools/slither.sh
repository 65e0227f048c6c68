#!/usr/bin/env bash
# Static analysis of contracts/src with Slither, offline.
#
# Slither gets its own virtualenv (.venv-slither) because slither-analyzer pins web3<8 and the
# rig needs web3 8. It is installed from tools/slither-requirements.txt (every package pinned)
# and reinstalled only when that file changes. No native solc can be downloaded here, so
# Slither compiles through tools/solc-wrapper/solc, a stand-in that answers like solc through
# the solcjs JS API.
#
# Writes bench/results/slither.json; exits non-zero when Slither fails or when a high/medium
# finding in our own contracts is not explained in docs/slither.md (tools/slither_gate.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

PYTHON="${PYTHON:-python3}"
venv="$root/.venv-slither"
reqs="tools/slither-requirements.txt"
stamp="$venv/.requirements.sha256"
wrapper="tools/solc-wrapper/solc"
report="bench/results/slither.json"
explanations="docs/slither.md"

die() { echo "slither.sh: $*" >&2; exit 2; }

command -v node >/dev/null || die "node is not on PATH: the solc stand-in needs Node.js"
[ -d node_modules/solc ] || die "node_modules/solc is missing: run \`make deps\` first"
[ -d node_modules/@openzeppelin/contracts ] \
  || die "node_modules/@openzeppelin/contracts is missing: run \`make deps\` first"

want="$(sha256sum "$reqs" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/slither" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "slither.sh: installing pinned Slither into $venv"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  # --no-deps: the file pins the whole tree; pip check proves it is complete and consistent.
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$reqs"
  "$venv/bin/pip" check --disable-pip-version-check
  echo "$want" > "$stamp"
fi

# Slither never overwrites an existing --json file: write to a fresh path, then move it.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$report")"

set +e
"$venv/bin/slither" contracts/src \
  --solc "$wrapper" --solc-standard-json \
  --solc-remaps "@openzeppelin/=node_modules/@openzeppelin/" \
  --filter-paths "node_modules" \
  --fail-none \
  --json "$tmp/slither.json"
status=$?
set -e

[ -s "$tmp/slither.json" ] || die "Slither wrote no report (exit $status); see its output above"
mv "$tmp/slither.json" "$report"
echo "slither.sh: findings written to $report"
[ "$status" -eq 0 ] || die "Slither exited with $status"

"$venv/bin/python" tools/slither_gate.py "$report" "$explanations"
