"""The firmware's sensor reads over its kernel path (smbus2, /dev/i2c-N through umockdev)
beside the rig's Unix-socket bus, in one run against the same emulated chips.

``python -m bench.i2c_path`` serves one sensor board on both paths at once, then starts the
firmware's bus code (``firmware.sensors.open_bus``) in a process of its own per path, as the
firmware runs: ``1`` under umockdev's preload library, ``unix:<socket>`` plainly. Each process
times two reads: one register (the TMP102's temperature word, one combined transfer) and the
firmware's whole sensor round (``SensorMonitor.read``: every chip, as the sensor loop does).
The paths alternate over ``--rounds`` processes each, so drift on a shared host hits both.

Writes ``bench/results/i2c_path.json``: per path and read, median and p95 in milliseconds
and every sample; the ratios umockdev / socket of the medians and of the p95s. Exit status:
0 measured, 2 the measurement could not run (e.g. umockdev is not installed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host_platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.args import at_least
from contracts.build import ROOT
from emulators.sensors import BusServer, EmulatedI2CBus, SensorBoard
from emulators.sensors.umockdev import I2CDevTestbed, UmockdevUnavailable

RESULTS = ROOT / "bench" / "results" / "i2c_path.json"
SCHEMA = "coffeepay-i2c-path/1"
PATHS = ("umockdev", "socket")
READS = ("register", "monitor")
WARMUP = 20
BUS_NUMBER = 1


def _worker(spec: str, reads: int) -> dict[str, list[float]]:
    """In the client process: time ``reads`` of each kind on the firmware's bus ``spec``."""
    from firmware.sensors import MonitorConfig, SensorMonitor, open_bus

    bus = open_bus(int(spec) if spec.isdigit() else spec)
    monitor = SensorMonitor(bus, MonitorConfig())
    out: dict[str, list[float]] = {}
    for name, read in (("register", lambda: bus.read_word_data(0x48, 0x00)),
                       ("monitor", monitor.read)):
        for _ in range(WARMUP):
            read()
        samples = []
        for _ in range(reads):
            start = time.perf_counter()
            read()
            samples.append((time.perf_counter() - start) * 1000)
        out[name] = samples
    bus.close()
    return out


def _run_worker(spec: str, reads: int, env: dict[str, str]) -> dict[str, list[float]]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.i2c_path", "--worker", spec, "--reads", str(reads)],
        cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, capture_output=True,
        text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"the client on {spec} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    result: dict[str, list[float]] = json.loads(done.stdout)
    return result


def _stats(samples: list[float]) -> dict[str, Any]:
    return {"n": len(samples), "median_ms": round(statistics.median(samples), 4),
            "p95_ms": round(statistics.quantiles(samples, n=20, method="inclusive")[18], 4),
            "samples_ms": [round(s, 4) for s in samples]}


def _umockdev_version() -> str | None:
    try:
        done = subprocess.run(["umockdev-run", "--version"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def measure(reads: int, rounds: int) -> dict[str, Any]:
    board, bus = SensorBoard(), EmulatedI2CBus()
    for chip in board.devices():
        bus.attach(chip)
    board.tmp102.set_temperature(92.5)
    board.ina219.set_current(3.0)
    sockdir = Path(tempfile.mkdtemp(prefix="i2c-bench-"))
    samples: dict[str, dict[str, list[float]]] = {p: {r: [] for r in READS} for p in PATHS}
    try:
        with I2CDevTestbed(bus, BUS_NUMBER) as testbed, \
                BusServer(sockdir / "bus.sock", bus=bus) as server:
            clients = {"umockdev": (str(BUS_NUMBER), testbed.client_env()),
                       "socket": (server.spec, {})}
            per_round = max(1, reads // rounds)
            for _ in range(rounds):
                for path in PATHS:
                    spec, env = clients[path]
                    for read, values in _run_worker(spec, per_round, env).items():
                        samples[path][read].extend(values)
    finally:
        shutil.rmtree(sockdir, ignore_errors=True)
    paths = {p: {r: _stats(samples[p][r]) for r in READS} for p in PATHS}
    ratios = {r: {"median": round(paths["umockdev"][r]["median_ms"]
                                  / paths["socket"][r]["median_ms"], 3),
                  "p95": round(paths["umockdev"][r]["p95_ms"]
                               / paths["socket"][r]["p95_ms"], 3)} for r in READS}
    return {"paths": paths, "ratios_umockdev_over_socket": ratios}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.i2c_path",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--reads", type=at_least(2), default=1000,
                    help="timed reads of each kind per path (default 1000)")
    ap.add_argument("--rounds", type=at_least(1), default=5,
                    help="client processes per path, alternating (default 5)")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    ap.add_argument("--worker", metavar="BUS", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(_worker(args.worker, args.reads)))
        return 0
    try:
        result = measure(args.reads, args.rounds)
    except (UmockdevUnavailable, RuntimeError, OSError) as exc:
        print(f"i2c_path: cannot measure: {exc}", file=sys.stderr)
        return 2
    doc = {"schema": SCHEMA, "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
           "reads": args.reads, "rounds": args.rounds, "warmup_reads": WARMUP,
           "versions": {"python": host_platform.python_version(),
                        "smbus2": metadata.version("smbus2"),
                        "umockdev": _umockdev_version()},
           "host": {"machine": host_platform.machine(), "cpus": os.cpu_count()},
           **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    for read in READS:
        row = {p: doc["paths"][p][read] for p in PATHS}
        ratio = doc["ratios_umockdev_over_socket"][read]
        print(f"{read:>8}: umockdev median {row['umockdev']['median_ms']:.3f} ms "
              f"p95 {row['umockdev']['p95_ms']:.3f} ms | socket median "
              f"{row['socket']['median_ms']:.3f} ms p95 {row['socket']['p95_ms']:.3f} ms | "
              f"ratio median {ratio['median']} p95 {ratio['p95']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
