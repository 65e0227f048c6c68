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
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rig.chain.capabilities import CAPABILITIES  # noqa: E402
from rig.chain.hardhat import HardhatNode  # noqa: E402
from rig.scenario import load_scenario  # noqa: E402
from rig.scenario.needs import NODE_PROCESS, scenario_needs  # noqa: E402
from tools.suite import Part, run_part, summary  # noqa: E402

VENV = ROOT / ".venv" / "bin"
PYTEST = [str(VENV / "pytest"), "-q", "-p", "no:cacheprovider", "-rs",
          "--only-capability-skips"]


def anvil_only_scenarios() -> int:
    """Scenarios Hardhat must skip: those that declare a capability only Anvil serves (or
    the node's process). A skip beyond them is a need nobody declared."""
    def anvil_only(need: str) -> bool:
        return need == NODE_PROCESS or (need in CAPABILITIES and CAPABILITIES[need].anvil_only)

    return sum(1 for path in sorted((ROOT / "scenarios").glob("*.yaml"))
               if any(anvil_only(n) for n in scenario_needs(load_scenario(path))))


# Skips Hardhat is known to cause; more means something new asks for what it lacks.
KNOWN_SKIPS = {"contracts": 0, "scenarios": anvil_only_scenarios()}


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
            run_part(part)
    return summary("the rig on Hardhat", todo, started)


if __name__ == "__main__":
    sys.exit(main())
