"""The bench's driver paths beside the emulated default, as the firmware sees them.

``python -m bench.driver_paths`` builds one machine per profile (``emulated``: nfcpy's udp
driver, the socket I2C bus, a local warm-booted process; ``emulated-drivers``: nfcpy's PN532
tty driver on an emulated chip, smbus2 through umockdev, the firmware started over SSH and
powered through labgrid's plug driver), alternating the profiles round by round so both see
the same machine load, and measures in each round:

- boot: power on to the firmware's ``booted`` checkpoint;
- a tap: the firmware's own timings (``tap-done``: the NFC exchanges, tap to brew command);
- the empty-poll cycle: the reader's poll count over a quiet interval.

Writes ``bench/results/driver_paths.json`` (every sample, medians, ratios drivers/default)
and prints a table. Exit 0 measured, 2 the measurement could not run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.args import at_least
from rig.chain.anvil import Anvil
from rig.chain.node import Chain
from rig.harness.assemble import build_machine
from rig.platform import deploy_platform

PROFILES = ("emulated", "emulated-drivers")
RESULTS = Path(__file__).parent / "results" / "driver_paths.json"
QUIET = 6.0   # seconds of an empty field over which the poll cycle is counted


def _round(chain: Chain, profile: str, seed: int, taps: int, workdir: Path
           ) -> dict[str, Any]:
    rng = random.Random(seed)
    m = build_machine(workdir, deploy_platform(chain), rng, profile, phones=2)
    try:
        started = time.monotonic()
        m.strategy.transition("booted")
        boot = time.monotonic() - started
        m.strategy.transition("synced")
        marks = []
        for i in range(taps):
            mark = m.control.mark()
            out = m.tap(m.phones[i % 2], product=1 + i % 2)
            if out.verdict != "served":
                raise RuntimeError(f"{profile}: tap {i} was {out.verdict}: {out.reason}")
            marks.append(m.control.wait_for("tap-done", timeout=10, after=mark).data)
        polls = m.status()["nfc"]["polls"]
        time.sleep(QUIET)
        cycles = m.status()["nfc"]["polls"] - polls
        return {"boot_s": boot, "timings_ms": [d.get("timings_ms", {}) for d in marks],
                "empty_poll_cycle_s": QUIET / cycles if cycles else None,
                "parts": m.describe_parts()}
    finally:
        m.shutdown()
        m.close()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for profile, runs in rounds.items():
        timings = [t for r in runs for t in r["timings_ms"]]
        keys = sorted({k for t in timings for k in t})
        out[profile] = {
            "boot_s": _median([r["boot_s"] for r in runs]),
            "empty_poll_cycle_s": _median([r["empty_poll_cycle_s"] for r in runs
                                           if r["empty_poll_cycle_s"]]),
            **{f"{k}_ms": _median([t[k] for t in timings if k in t]) for k in keys},
        }
    return out


def _ratio(value: float | None, of: float | None) -> float | None:
    return value / of if value is not None and of else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.driver_paths", description=__doc__)
    ap.add_argument("--rounds", type=at_least(1), default=3, help="machines per profile")
    ap.add_argument("--taps", type=at_least(1), default=10, help="taps per machine")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    rounds: dict[str, list[dict[str, Any]]] = {p: [] for p in PROFILES}
    try:
        with Anvil() as node, tempfile.TemporaryDirectory(prefix="driver-paths-") as tmp:
            chain = Chain(node.url)
            for n in range(args.rounds):
                order = PROFILES if n % 2 == 0 else PROFILES[::-1]
                for profile in order:
                    rounds[profile].append(_round(chain, profile, args.seed + n, args.taps,
                                                  Path(tmp) / f"{profile}-{n}"))
    except Exception as e:   # the measurement could not run: say why, exit 2
        print(f"bench.driver_paths: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    summary = summarise(rounds)
    base, drv = summary["emulated"], summary["emulated-drivers"]
    ratios = {k: _ratio(drv.get(k), base[k]) for k in base}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rounds": rounds, "summary": summary,
                                    "ratio_drivers_over_default": ratios,
                                    "args": vars(args) | {"out": str(args.out)}},
                                   indent=1, default=str))
    print(f"{'median':<28}{'emulated':>12}{'emulated-drivers':>18}{'ratio':>8}")
    for k in base:
        b, d, r = base[k], drv.get(k), ratios[k]
        print(f"{k:<28}{b if b is not None else float('nan'):>12.4f}"
              f"{d if d is not None else float('nan'):>18.4f}"
              f"{r if r is not None else float('nan'):>8.2f}")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
