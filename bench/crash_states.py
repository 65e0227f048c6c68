"""Crash-state exploration of the firmware's store (ALICE / SQLite crash-VFS style).

``python -m bench.crash_states`` (``make crash``) records the payment path's file operations
on the emulated SD card, builds the crash states the card allows (prefix, dropped, partial,
torn, reordered), reopens each with the firmware's ``Store`` and checks durability of every
acknowledged receipt and atomicity of the rest; see docs/crash-exploration.md.

``--defect no_fsync`` (or ``journal_off``) runs the negative control: the same exploration
against a store that does not sync (or keeps no journal), which must report violations.
Writes ``bench/results/crash_states.json`` (``crash_states-<defect>.json`` for a control)
and prints a summary. Exit status: 0 as expected (no violation for the firmware, at least
one for a control), 1 otherwise, 2 the exploration could not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.args import at_least
from contracts.build import ROOT
from rig.crash import DEFECTS, CrashExplorationError, Exploration, ExploreConfig, explore
from rig.crash.states import KINDS

RESULTS = ROOT / "bench" / "results"


def default_out(defect: str | None) -> Path:
    return RESULTS / ("crash_states.json" if defect is None else f"crash_states-{defect}.json")


def summary(result: Exploration) -> str:
    doc = result.to_json()
    states, bad = doc["states"], doc["violations"]
    lines = [f"Crash states  (seed {doc['seed']}, defect {doc['defect'] or 'none'}, "
             f"{doc['workload']['file_ops']} file ops, {doc['workload']['syncs']} syncs, "
             f"{len(doc['workload']['app_ops'])} store calls)",
             f"{'kind':<10} {'distinct':>9} {'explored':>9} {'violations':>11}"]
    lines += [f"{k:<10} {doc['candidates']['per_kind'][k]:>9} {states['per_kind'][k]:>9} "
              f"{bad['per_kind'][k]:>11}" for k in KINDS]
    lines.append(f"{'total':<10} {doc['candidates']['distinct']:>9} {states['total']:>9} "
                 f"{bad['count']:>11}   ({doc['states_per_second']} states/s)")
    lines += [f"  VIOLATION {v['description']}\n      " + "\n      ".join(v["failures"])
              for v in bad["items"][:5]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.crash_states",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--states", type=at_least(0), default=600,
                    help="distinct crash states to check, sampled per kind (0: all; "
                         "default 600)")
    ap.add_argument("--seed", type=int, default=1, help="seed of every random choice "
                    "(default 1)")
    ap.add_argument("--defect", choices=sorted(d for d in DEFECTS if d), default=None,
                    help="negative control: explore a store with this defect")
    ap.add_argument("--purchases", type=at_least(0), default=8,
                    help="purchases in the recorded workload (default 8)")
    ap.add_argument("--out", type=Path, default=None,
                    help="JSON results (default bench/results/crash_states[-DEFECT].json)")
    args = ap.parse_args(argv)
    try:
        result = explore(ExploreConfig(states=args.states, seed=args.seed,
                                       defect=args.defect, purchases=args.purchases))
    except CrashExplorationError as e:
        print(f"crash exploration could not run: {e}", file=sys.stderr)
        return 2
    doc = {**result.to_json(), "generated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    out = args.out or default_out(args.defect)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(summary(result))
    print(f"wrote {out}")
    found = bool(result.violations)
    if args.defect is None and found:
        print(f"FAIL: {len(result.violations)} crash states break the store", file=sys.stderr)
        return 1
    if args.defect is not None and not found:
        print(f"FAIL: the {args.defect} control found no violation: the exploration is blind",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
