"""The flake soak: ``make rig`` again and again, each run with its own seed, beside a CPU hog.

QA's machines are shared, so a verdict must not depend on an idle host. ``python -m
bench.soak`` (or ``make soak``) starts one busy process per core (``--hog``), then runs the
README's own ``make rig`` ``--runs`` times with seeds drawn from one soak seed, and writes
``bench/results/soak.json``: per run the seed, exit code, wall time, the summary line and
every scenario that did not pass, plus how much CPU the hog really took (proof it was on).
Each run's full output is kept in ``bench/results/soak/run-<i>.log``.

Exit status: 0 every run passed, 1 a run failed (its seed replays it: ``rig replay SEED``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.args import at_least

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "soak.json"
LOGS = ROOT / "bench" / "results" / "soak"
SCHEMA = "coffeepay-soak/1"
SUMMARY = re.compile(r"^\d+ scenario\(s\): .*$", re.M)
NOT_PASSED = re.compile(r"^(\S+\.ya?ml::\S+) (FAILED|ERROR)\b.*$", re.M)


@dataclass
class Run:
    index: int
    seed: int
    exit_code: int
    wall_seconds: float
    summary: str
    not_passed: list[str] = field(default_factory=list)
    log: str = ""


def _hog(stop: Any) -> None:
    """Compute until ``stop`` (a multiprocessing Event) is set."""
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i * i


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])   # utime, stime
    return total / ticks


def run_once(index: int, seed: int, target: str, rig_args: str) -> Run:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"run-{index}.log"
    args = f"--seed {seed} {rig_args}".strip()
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.call(["make", "--no-print-directory", target, f"RIG_ARGS={args}"],
                               cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    wall = time.monotonic() - started
    text = log.read_text(errors="replace")
    summary = SUMMARY.findall(text)
    return Run(index, seed, code, round(wall, 1), summary[-1] if summary else "(no summary)",
               [m.group(0) for m in NOT_PASSED.finditer(text)],
               str(log.relative_to(ROOT)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    ap.add_argument("--runs", type=at_least(1), default=10, help="make rig runs (default 10)")
    ap.add_argument("--hog", type=at_least(0), default=os.cpu_count() or 1,
                    help="busy processes beside the runs (default: one per core)")
    ap.add_argument("--seed", type=int, help="the soak's seed, from which each run's seed "
                                             "is drawn (default: chosen and shown)")
    ap.add_argument("--target", default="rig", help="the make target to soak (default rig)")
    ap.add_argument("--rig-args", default="", help="more RIG_ARGS for every run")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    soak_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(soak_seed)
    seeds = [rng.randrange(2**32) for _ in range(args.runs)]
    print(f"soak: seed {soak_seed}, {args.runs} run(s) of make {args.target}, "
          f"{args.hog} hog process(es)", flush=True)

    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=_hog, args=(stop,), daemon=True)
            for _ in range(args.hog)]
    for h in hogs:
        h.start()
    pids = [h.pid for h in hogs if h.pid is not None]
    started = time.monotonic()
    runs: list[Run] = []
    try:
        for i, seed in enumerate(seeds, 1):
            r = run_once(i, seed, args.target, args.rig_args)
            runs.append(r)
            verdict = "passed" if r.exit_code == 0 else f"FAILED (exit {r.exit_code})"
            print(f"run {i}/{args.runs}: seed {seed} {verdict} in {r.wall_seconds} s — "
                  f"{r.summary}", flush=True)
            for line in r.not_passed:
                print(f"    {line}", flush=True)
    finally:
        hog_cpu = _cpu_seconds(pids)
        stop.set()
        for h in hogs:
            h.join(5)
    wall = time.monotonic() - started
    doc = {"schema": SCHEMA, "when": datetime.now(UTC).isoformat(timespec="seconds"),
           "soak_seed": soak_seed, "target": args.target, "rig_args": args.rig_args,
           "cores": os.cpu_count(), "hog_processes": args.hog,
           "hog_cpu_seconds": round(hog_cpu, 1),
           "hog_share_of_a_core": round(hog_cpu / wall / max(1, args.hog), 2) if wall else 0,
           "wall_seconds": round(wall, 1), "passed": sum(r.exit_code == 0 for r in runs),
           "runs": [asdict(r) for r in runs]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"soak: {doc['passed']} of {len(runs)} run(s) passed in {doc['wall_seconds']} s; "
          f"the hog used {doc['hog_share_of_a_core']} of a core per process; {args.out}")
    return 0 if doc["passed"] == len(runs) == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
