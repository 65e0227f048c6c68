"""The same scenarios on one host and on two, side by side: what spreading costs or saves.

``python -m bench.hosts`` runs one set of scenarios with one seed, the same number of
workers each time, in three layouts, one after another in one run (this machine is noisy,
so compare the ratios): ``local`` (``rig run -n W``, workers on this machine), ``one-host``
(``rig run --hosts`` with one SSH host of W workers) and ``two-hosts`` (two SSH hosts of
W/2 each). The SSH hosts are OpenSSH servers on 127.0.0.1 (``rig.hosts.local``), so this
measures what SSH and remote workers add, not more cores; on real hosts the gain is each
host's cores. Writes ``bench/results/hosts.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.args import at_least
from rig.hosts.local import LocalHosts

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "hosts.json"
RIG = ROOT / ".venv" / "bin" / "rig"
SCHEMA = "coffeepay-hosts/1"


@dataclass
class Layout:
    name: str
    hosts: int              # 0: workers on this machine (rig run -n)
    workers: int
    exit_code: int = -1
    wall_seconds: float = 0.0


def _run(layout: Layout, scenarios: list[str], seed: int) -> None:
    base = [str(RIG), "run", "--seed", str(seed), "--reruns", "0", *scenarios]
    t = time.monotonic()
    if layout.hosts == 0:
        layout.exit_code = subprocess.run([*base, "-n", str(layout.workers)], cwd=ROOT,
                                          check=False).returncode
    else:
        with LocalHosts(count=layout.hosts, workers=layout.workers // layout.hosts) as hosts:
            t = time.monotonic()      # the servers' start-up is not the run's
            layout.exit_code = subprocess.run([*base, "--hosts", str(hosts.hosts_file)],
                                              cwd=ROOT, check=False).returncode
    layout.wall_seconds = round(time.monotonic() - t, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", help="scenario files (default: scenarios/)")
    ap.add_argument("--workers", type=at_least(2), default=2,
                    help="workers in every layout (even: two hosts get half each)")
    ap.add_argument("--seed", type=int, help="the runs' seed (default: drawn and shown)")
    opts = ap.parse_args(argv)
    if opts.workers % 2:
        ap.error("--workers must be even: the two hosts get half each")
    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"bench.hosts: seed {seed}, {opts.workers} workers per layout", flush=True)
    layouts = [Layout("local", 0, opts.workers), Layout("one-host", 1, opts.workers),
               Layout("two-hosts", 2, opts.workers)]
    for layout in layouts:
        print(f"\n=== {layout.name}", flush=True)
        _run(layout, opts.scenarios, seed)
    base = layouts[0].wall_seconds or 1.0
    rows = [{**asdict(x), "ratio_to_local": round(x.wall_seconds / base, 2)} for x in layouts]
    doc = {"schema": SCHEMA, "when": datetime.now(UTC).isoformat(timespec="seconds"),
           "seed": seed, "scenarios": opts.scenarios or ["scenarios"], "layouts": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=1) + "\n")
    print("\nlayout      exit  wall      ratio")
    for x in rows:
        print(f"{x['name']:<11} {x['exit_code']:>4}  {x['wall_seconds']:7.1f} s  "
              f"{x['ratio_to_local']:.2f}")
    print(f"written: {RESULTS}")
    return 0 if all(x.exit_code == 0 for x in layouts) else 1


if __name__ == "__main__":
    sys.exit(main())
