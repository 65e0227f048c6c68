"""The rig spread over hosts: pytest-xdist remote workers over SSH, proved on two hosts.

The two hosts are OpenSSH servers on 127.0.0.1 (``rig.hosts.local``), reached exactly as real
ones are: a hosts file, an ssh config, keys, the hosts checked before anything runs. Parts:

- ``scenarios``: ``rig run --hosts`` over the whole scenario suite, each worker starting an
  anvil of its own on its host per scenario (everything, Anvil's controls included).
- ``shared-node``: the scenario suite with both workers attached to one shared node that
  serves no dev method at all (``rig.chain.plain``): each worker its own accounts and
  deployments; only the scenarios that declare a chain capability may skip.
- ``property``: the nightly's random fault schedules in two shards, one per host.

Prints each part's wall time; exits 1 when any part fails.

    python tools/hosts_suite.py [--only scenarios|shared-node|property ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rig.chain.plain import PlainNode  # noqa: E402
from rig.hosts import load_hosts  # noqa: E402
from rig.hosts.local import LocalHosts  # noqa: E402
from rig.hosts.xdist import tx_args  # noqa: E402
from rig.scenario import load_scenario  # noqa: E402
from rig.scenario.needs import scenario_needs  # noqa: E402
from tools.suite import Part, run_part, summary  # noqa: E402

VENV = ROOT / ".venv" / "bin"
PYTEST = [str(VENV / "pytest"), "-q", "-p", "no:cacheprovider", "-p", "rig.pytestplugin", "-rs"]


def shared_node_skips() -> int:
    """Scenarios a shared node without dev methods must skip: those that declare any chain
    capability (rig/scenario/needs.py). A skip beyond them is a need nobody declared."""
    return sum(1 for path in sorted((ROOT / "scenarios").glob("*.yaml"))
               if scenario_needs(load_scenario(path)))


def parts(hosts_file: Path, node_url: str | None) -> list[Part]:
    hosts = load_hosts(hosts_file)
    shards = {"COFFEEPAY_HYPOTHESIS_SHARDS": "2"}    # what `rig hosts` forwards, as a shell's
    out = [Part("scenarios", [str(VENV / "rig"), "run", "--hosts", str(hosts_file)])]
    if node_url is not None:
        out.append(Part("shared-node", [
            *PYTEST, *tx_args(hosts), "--rig-path=scenarios", f"--chain-url={node_url}",
            "--only-capability-skips", f"--max-capability-skips={shared_node_skips()}"]))
    out.append(Part("property", [*PYTEST, *tx_args(hosts, {**os.environ, **shards}),
                                 "--rig-path=tests/property/test_rig_stateful.py",
                                 "-k", "random_fault_schedules"], env=shards))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", default=[],
                    help="run only these parts (scenarios, shared-node, property)")
    opts = ap.parse_args(argv)
    started = time.monotonic()
    wanted = set(opts.only) or {"scenarios", "shared-node", "property"}
    with LocalHosts(count=2, workers=1) as hosts:
        print(f"hosts: {', '.join(hosts.names)} ({hosts.hosts_file})", flush=True)
        node = PlainNode().start() if "shared-node" in wanted else None
        try:
            todo = [p for p in parts(hosts.hosts_file, node.url if node else None)
                    if p.name in wanted]
            for part in todo:
                run_part(part)
        finally:
            if node is not None:
                node.stop()
    return summary("the rig on two hosts", todo, started)


if __name__ == "__main__":
    sys.exit(main())
