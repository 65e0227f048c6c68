"""The rig against Hardhat's node: proof that ``--chain-url`` works on a node it did not start.

One Hardhat node (npm ``hardhat`` 2.x, Cancun, automine) for the whole run; against it:
the contract tests, the end-to-end payment tests, ``rig demo`` (the machine's happy path and
the on-chain walk) and the scenario suite. A test or scenario may skip only for a capability
Hardhat lacks (``--only-capability-skips``), and no more of them than the known ones:
Hardhat serves snapshots, time, mining, automine and dropping transactions, not Anvil's
reorgs, chain id, state dumps or txpool, and the rig never owns its process. Prints each
part's wall time; exits 1 when any part fails.

    python tools/hardhat_suite.py [--only contracts|demo|scenarios ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rig.chain.hardhat import HardhatNode  # noqa: E402

VENV = ROOT / ".venv" / "bin"
PYTEST = [str(VENV / "pytest"), "-q", "-p", "no:cacheprovider", "-rs",
          "--only-capability-skips"]
# Skips Hardhat 2.29 is known to cause; more means something new asks for what it lacks.
KNOWN_SKIPS = {"contracts": 0, "scenarios": 4}


@dataclass
class Part:
    name: str
    argv: list[str]
    seconds: float = 0.0
    code: int | None = None


def parts(url: str) -> list[Part]:
    return [
        Part("contracts", [*PYTEST, f"--max-capability-skips={KNOWN_SKIPS['contracts']}",
                           "tests/contracts", "tests/e2e/test_payment_path.py",
                           "--chain-url", url]),
        Part("demo", [str(VENV / "rig"), "demo", "--chain-url", url]),
        Part("demo-onchain", [str(VENV / "rig"), "demo", "--onchain", "--chain-url", url]),
        Part("scenarios", [*PYTEST, f"--max-capability-skips={KNOWN_SKIPS['scenarios']}",
                           "scenarios", "--chain-url", url]),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", default=[],
                    help="run only these parts (contracts, demo, demo-onchain, scenarios)")
    opts = ap.parse_args(argv)
    started = time.monotonic()
    with HardhatNode() as node:
        print(f"{node.version()} at {node.url}", flush=True)
        todo = [p for p in parts(node.url) if not opts.only or p.name in opts.only]
        for part in todo:
            print(f"\n=== {part.name}: {' '.join(part.argv)}", flush=True)
            t = time.monotonic()
            part.code = subprocess.run(part.argv, cwd=ROOT, env=os.environ.copy()).returncode
            part.seconds = time.monotonic() - t
    print("\n=== the rig on Hardhat")
    for part in todo:
        print(f"  {part.name:<13} {'ok    ' if part.code == 0 else 'FAILED'} "
              f"{part.seconds:7.1f} s")
    print(f"  {'total':<13}        {time.monotonic() - started:7.1f} s")
    return 0 if all(p.code == 0 for p in todo) else 1


if __name__ == "__main__":
    sys.exit(main())
