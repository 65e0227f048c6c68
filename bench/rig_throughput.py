"""End-to-end examples per second of the stateful property test on this machine.

``python -m bench.rig_throughput --examples N`` runs N random schedules (fixed seed) through
the property test's own state machine (``tests/property/rig_machine.py``): one shared anvil,
a fresh machine per example, the final phase and the full oracle, exactly as
``tests/property/test_rig_stateful.py`` does, except that a failing example is recorded and
the run goes on (no shrinking). Writes ``bench/results/rig_throughput.json``: examples/s,
steps per example, seconds per example split into machine start, steps, final sync, oracle,
reset, CPU seconds per example split into rig, firmware and chain processes, and what a
nightly run of 10,000 examples costs. ``--workers K`` runs K such processes side by side (each
with its own anvil and seed, as K pytest-xdist shards would) and reports their combined
throughput. Exit status: 0 measured, 2 the measurement could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host_platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from contracts.build import ROOT
from emulators.pi.warm_boot import WarmInterpreter
from rig.chain.errors import ChainError
from tests.property.rig_example import PHASES
from tests.property.rig_machine import ExampleRecord, RigStateMachine
from tests.property.rig_world import SharedChain

RESULTS = ROOT / "bench" / "results" / "rig_throughput.json"
SCHEMA = "coffeepay-rig-throughput/1"
NIGHTLY_EXAMPLES = 10_000
NIGHTLY_MINUTES = 60


class BenchMachine(RigStateMachine):
    """The property test's machine, recording failures instead of stopping at the first."""

    strict = False


CpuSplit = dict[str, float]   # process group -> CPU seconds


def _cpu_seconds() -> CpuSplit:
    """CPU seconds by process group: the rig (this process: the state machine, the emulated
    hardware, web3, the oracle), the firmware (the Pi's warm interpreter and the firmware
    processes it forked) and the chain (this process's reaped children: anvil, whole
    life including its start and the deployment, and any cold-booted firmware)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"rig": own.ru_utime + own.ru_stime,
            "firmware": WarmInterpreter.all_cpu_seconds(),
            "chain": kids.ru_utime + kids.ru_stime}


def _minus(after: CpuSplit, before: CpuSplit) -> CpuSplit:
    return {k: after[k] - before.get(k, 0.0) for k in after}


def run(examples: int, steps: int, seed_value: int, defects: tuple[str, ...] = ()
        ) -> tuple[list[ExampleRecord], float, CpuSplit]:
    """Run the examples; returns their records, wall seconds and CPU seconds by process."""
    world = SharedChain().start()
    BenchMachine.world = world
    BenchMachine.defects = defects
    BenchMachine.records.clear()
    config = settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                      database=None, phases=(Phase.generate,), print_blob=False,
                      suppress_health_check=list(HealthCheck))

    def bench_machine() -> BenchMachine:
        return BenchMachine()

    cpu, began = _cpu_seconds(), time.monotonic()
    try:
        # Hypothesis documents "a class or a function" but annotates type[RuleBasedStateMachine].
        run_state_machine_as_test(seed(seed_value)(bench_machine),  # type: ignore[arg-type]
                                  settings=config)
    finally:
        wall = time.monotonic() - began
        BenchMachine.world = None
        world.stop()
    return list(BenchMachine.records), wall, _minus(_cpu_seconds(), cpu)


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 3) if values else 0.0


def summarize(records: list[ExampleRecord], wall: float, cpu: CpuSplit, steps: int,
              seed_value: int, workers: int = 1, defects: tuple[str, ...] = ()
              ) -> dict[str, Any]:
    n = len(records)
    totals = [r.timings.get("total", 0.0) for r in records]
    breakdown = {p: _mean([r.timings.get(p, 0.0) for r in records]) for p in PHASES}
    breakdown["other"] = round(_mean(totals) - sum(breakdown.values()), 3)
    per_example = statistics.fmean(totals) if totals else 0.0
    cpu_per_example = sum(cpu.values()) / n if n else 0.0
    nightly_minutes = NIGHTLY_EXAMPLES / (n / wall) / 60 if n and wall else 0.0
    outcomes: dict[str, int] = {}
    for r in records:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    return {
        "schema": SCHEMA,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed_value, "workers": workers, "defects": list(defects), "examples": n,
        "max_steps_per_example": steps,
        "examples_per_second": round(n / wall, 4) if wall else 0.0,
        "wall_seconds": round(wall, 1),
        "wall_seconds_per_example": round(wall / n, 3) if n else 0.0,
        "mean_rules_per_example": _mean([float(r.rules) for r in records]),
        "mean_scenario_steps_per_example": _mean([float(r.steps) for r in records]),
        "seconds_per_example": {"mean": round(per_example, 3),
                                "mean_passed": _mean([r.timings.get("total", 0.0)
                                                      for r in records
                                                      if r.outcome == "passed"]),
                                "p50": round(statistics.median(totals), 3) if totals else 0.0,
                                "max": round(max(totals, default=0.0), 3),
                                "breakdown_mean": breakdown},
        "cpu_seconds_per_example": round(cpu_per_example, 3),
        "cpu_seconds_per_example_by_process": {k: round(v / n, 3) if n else 0.0
                                               for k, v in cpu.items()},
        "cpu_share_of_one_core": round(cpu_per_example / per_example, 3) if per_example else 0,
        "outcomes": outcomes,
        "not_passed": [{"name": r.name, "run_seed": r.run_seed, "outcome": r.outcome,
                        "summary": r.summary, "scenario_file": r.scenario_file}
                       for r in records if r.outcome != "passed"],
        "nightly": {"examples": NIGHTLY_EXAMPLES, "budget_minutes": NIGHTLY_MINUTES,
                    "workers": workers, "minutes": round(nightly_minutes, 1)},
        "host": {"cpus": os.cpu_count(), "load_average": list(os.getloadavg()),
                 "python": sys.version.split()[0], "machine": host_platform.machine(),
                 "hypothesis": metadata.version("hypothesis")},
        "records": [{k: v for k, v in asdict(r).items() if k not in ("schedule", "message")}
                    for r in records],
    }


def run_workers(workers: int, examples: int, steps: int, seed_value: int,
                defects: tuple[str, ...] = ()) -> tuple[list[ExampleRecord], float, CpuSplit]:
    """``workers`` bench processes side by side, ``examples`` split between them."""
    share = [examples // workers + (i < examples % workers) for i in range(workers)]
    with tempfile.TemporaryDirectory(prefix="rig-throughput-") as tmp:
        outs = [Path(tmp) / f"worker{i}.json" for i in range(workers)]
        began = time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-m", "bench.rig_throughput",
                                   "--examples", str(n), "--steps", str(steps),
                                   "--seed", str(seed_value + i), "--out", str(out),
                                   *(a for d in defects for a in ("--defect", d))],
                                  cwd=ROOT)
                 for i, (n, out) in enumerate(zip(share, outs, strict=True)) if n]
        codes = [p.wait() for p in procs]
        wall = time.monotonic() - began
        if any(codes):
            raise OSError(f"a bench worker failed (exit codes {codes})")
        docs = [json.loads(out.read_text()) for out in outs if out.exists()]
    records = [ExampleRecord(**{**r, "schedule": []}) for d in docs for r in d["records"]]
    cpu: CpuSplit = {}
    for d in docs:
        for k, v in d["cpu_seconds_per_example_by_process"].items():
            cpu[k] = cpu.get(k, 0.0) + v * d["examples"]
    return records, wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=20, help="random schedules to run")
    ap.add_argument("--steps", type=int, default=8, help="at most this many rules each")
    ap.add_argument("--seed", type=int, default=1, help="Hypothesis seed of the schedules")
    ap.add_argument("--workers", type=int, default=1,
                    help="bench processes side by side (seeds SEED, SEED+1, ...)")
    ap.add_argument("--defect", action="append", default=[],
                    help="switch on a seeded firmware defect: how soon do the checks find it?")
    ap.add_argument("--out", type=Path, default=None,
                    help="where the JSON goes (default: bench/results/rig_throughput.json, "
                         "rig_throughput-<defect>.json with --defect)")
    args = ap.parse_args(argv)
    if args.examples < 1 or args.steps < 1 or args.workers < 1:
        ap.error("--examples, --steps and --workers must be at least 1")
    try:
        defects = tuple(args.defect)
        if args.workers > 1:
            records, wall, cpu = run_workers(args.workers, args.examples, args.steps,
                                             args.seed, defects)
        else:
            records, wall, cpu = run(args.examples, args.steps, args.seed, defects)
    except (ChainError, OSError) as e:
        print(f"rig_throughput: the measurement could not run: {e}", file=sys.stderr)
        return 2
    result = summarize(records, wall, cpu, args.steps, args.seed, args.workers, defects)
    out = args.out or (RESULTS.with_name(f"rig_throughput-{'+'.join(defects)}.json")
                       if defects else RESULTS)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    per = result["seconds_per_example"]
    split = result["cpu_seconds_per_example_by_process"]
    print(f"{result['examples']} examples in {result['wall_seconds']} s: "
          f"{result['examples_per_second']} examples/s, {per['mean']} s each "
          f"({', '.join(f'{k} {v}' for k, v in per['breakdown_mean'].items())}); "
          f"CPU {result['cpu_seconds_per_example']} s/example "
          f"({', '.join(f'{k} {v}' for k, v in split.items())}); "
          f"outcomes {result['outcomes']}; "
          f"{NIGHTLY_EXAMPLES:,} examples: {result['nightly']['minutes']} min with "
          f"{args.workers} worker(s)"
          f" -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
