"""The firmware's NFC reader over nfcpy's tty PN532 driver (emulated chip on a pty) beside the
same reader over nfcpy's udp driver, measured in one run against the same emulated field.

``python -m bench.pn532_path`` measures per path, with the reader in its own process as the
firmware runs it (field and chip run in this process, as in the rig):

1. per-APDU latency: with a phone held to the reader, ten polls each activate it (timed:
   the activation), then ``--apdus`` SELECTs, each timed (median, p95);
2. the empty field: ``--empty-polls`` single sense cycles (``poll(0)``), and two polls of
   ``--poll-timeout`` seconds as the firmware makes them.

Writes ``bench/results/pn532_path.json`` (every sample, the ratios pn532 / udp, the PN532
commands the chip ran) and prints a table. Exit status: 0 measured, 2 a reader run failed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.args import at_least
from contracts.build import ROOT
from emulators.nfc import Field
from emulators.nfc.pn532 import EmulatedPn532
from emulators.phone import Phone

RESULTS = ROOT / "bench" / "results" / "pn532_path.json"
SCHEMA = "coffeepay-pn532-path/1"
PATHS = ("udp", "pn532")
READER_TIMEOUT = 300.0
ACTIVATIONS = 10          # polls that find the phone held to the reader, each timed


class ReaderRunFailed(RuntimeError):
    """The reader process did not produce its samples."""


# -- the reader process ----------------------------------------------------------------------

def read(device: str, mode: str, count: int, poll_timeout: float) -> dict[str, Any]:
    """In the reader process: the samples of one phase, in seconds."""
    from firmware.nfc import NfcReader

    with NfcReader(device) as reader:
        if mode == "apdus":
            activations, session = [], None
            for _ in range(ACTIVATIONS):        # each poll ends the session before it
                started = time.perf_counter()
                session = reader.poll(5.0)
                activations.append(time.perf_counter() - started)
            if session is None:
                raise ReaderRunFailed(f"no phone found on {device}")
            session.select()                    # warm-up, not counted
            selects = []
            for _ in range(count):
                started = time.perf_counter()
                session.select()
                selects.append(time.perf_counter() - started)
            session.close()
            return {"activation_s": activations, "select_s": selects}
        cycles, polls = [], []
        for _ in range(count):
            started = time.perf_counter()
            if reader.poll(0.0) is not None:
                raise ReaderRunFailed("the field was supposed to be empty")
            cycles.append(time.perf_counter() - started)
        for _ in range(2):
            started = time.perf_counter()
            reader.poll(poll_timeout)
            polls.append(time.perf_counter() - started)
        return {"empty_cycle_s": cycles, "empty_poll_s": polls}


def _reader_run(device: str, mode: str, count: int, poll_timeout: float) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.pn532_path", "--reader", device, "--mode", mode,
            "--count", str(count), "--poll-timeout", str(poll_timeout)]
    try:
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True,
                              timeout=READER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ReaderRunFailed(f"reader on {device} ({mode}) ran over {READER_TIMEOUT} s") \
            from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise ReaderRunFailed(f"reader on {device} ({mode}) exited {done.returncode}: "
                              f"{done.stderr.strip()[-2000:]}")
    samples: dict[str, Any] = json.loads(lines[-1])
    return samples


# -- the rig side ---------------------------------------------------------------------------

def summary(samples: list[float], unit: float = 1e3) -> dict[str, float | int]:
    """Median and p95 (inclusive quantiles) in ms, or s with ``unit=1``."""
    xs = [x * unit for x in samples]
    p95 = statistics.quantiles(xs, n=100, method="inclusive")[94] if len(xs) > 1 else xs[0]
    return {"n": len(xs), "median": round(statistics.median(xs), 4), "p95": round(p95, 4),
            "min": round(min(xs), 4), "max": round(max(xs), 4)}


@contextmanager
def reader_device(path: str, field: Field) -> Iterator[tuple[str, EmulatedPn532 | None]]:
    if path == "udp":
        yield field.device_path, None
        return
    with EmulatedPn532(("127.0.0.1", field.port)) as chip:
        yield chip.device_path, chip


def measure_path(path: str, apdus: int, empty_polls: int, poll_timeout: float,
                 seed: int) -> dict[str, Any]:
    phone = Phone.generate(random.Random(seed), name="bench")
    with Field(random.Random(seed)) as field, reader_device(path, field) as (device, chip):
        before = Counter(chip.chip.commands) if chip else Counter()
        field.present(phone)
        apdu_run = _reader_run(device, "apdus", apdus, poll_timeout)
        field.remove()
        commands = (Counter(chip.chip.commands) - before) if chip else Counter()
        empty_run = _reader_run(device, "empty", empty_polls, poll_timeout)
        described = f"{chip.port} -> {chip.pts}" if chip else device
    row: dict[str, Any] = {
        "driver": "nfcpy tty pn532" if chip else "nfcpy udp",
        "device": described,
        "select_ms": summary(apdu_run["select_s"]),
        "activation_ms": summary(apdu_run["activation_s"]),
        "empty_cycle_s": summary(empty_run["empty_cycle_s"], unit=1),
        "empty_poll_s": summary(empty_run["empty_poll_s"], unit=1),
        "samples": {**apdu_run, **empty_run},
    }
    if chip:
        row["pn532_commands_during_apdu_phase"] = dict(sorted(commands.items()))
        row["iso_dep_exchanges"] = commands["InCommunicateThru"]
    return row


def ratios(udp: dict[str, Any], pn532: dict[str, Any]) -> dict[str, float | str]:
    def r(key: str, stat: str) -> float:
        return round(pn532[key][stat] / udp[key][stat], 3)

    return {"select_median": r("select_ms", "median"), "select_p95": r("select_ms", "p95"),
            "activation": r("activation_ms", "median"),
            "empty_cycle_median": r("empty_cycle_s", "median"),
            "empty_poll_median": r("empty_poll_s", "median"),
            "of": "pn532 / udp"}


def print_table(doc: dict[str, Any]) -> None:
    print(f"{'path':<7}{'SELECT median':>15}{'p95':>9}{'activation':>12}"
          f"{'empty cycle':>13}{'poll(' + str(doc['poll_timeout']) + ')':>11}")
    for name in PATHS:
        row = doc["paths"][name]
        print(f"{name:<7}{row['select_ms']['median']:>12.3f} ms{row['select_ms']['p95']:>6.3f} ms"
              f"{row['activation_ms']['median']:>9.2f} ms{row['empty_cycle_s']['median']:>11.3f} s"
              f"{row['empty_poll_s']['median']:>9.3f} s")
    print("pn532 / udp: " + ", ".join(f"{k} {v}" for k, v in doc["ratios"].items() if k != "of"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pn532_path",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--apdus", type=at_least(1), default=200,
                    help="timed SELECTs per path (default 200)")
    ap.add_argument("--empty-polls", type=at_least(1), default=5,
                    help="single empty sense cycles per path (default 5; 1 s each on udp)")
    ap.add_argument("--poll-timeout", type=float, default=0.3,
                    help="the firmware's poll timeout, s (default 0.3)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the phone and its UIDs")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    ap.add_argument("--reader", help=argparse.SUPPRESS)           # the reader process's own
    ap.add_argument("--mode", choices=("apdus", "empty"), help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.reader:
        print(json.dumps(read(args.reader, args.mode, args.count, args.poll_timeout)))
        return 0
    try:
        paths = {name: measure_path(name, args.apdus, args.empty_polls, args.poll_timeout,
                                    args.seed) for name in PATHS}
    except ReaderRunFailed as exc:
        print(f"pn532_path: {exc}", file=sys.stderr)
        return 2
    doc = {"schema": SCHEMA, "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
           "seed": args.seed, "apdus": args.apdus, "empty_polls": args.empty_polls,
           "poll_timeout": args.poll_timeout,
           "setup": "reader (firmware.nfc.NfcReader) in its own process; field and chip "
                    "threads in the bench process",
           "paths": paths, "ratios": ratios(paths["udp"], paths["pn532"])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print_table(doc)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
