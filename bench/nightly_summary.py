"""The nightly hunt's verdict: examples run, dangerous states reached, failures classified.

``python -m bench.nightly_summary DIR`` reads the shard records the property shards wrote
into ``DIR`` (``COFFEEPAY_NIGHTLY_RECORDS``), prints

- how many random schedules ran, in what wall time, at what rate;
- the coverage table: how many examples reached each dangerous state
  (``tests/property/rig_coverage.py``);
- each failure the shards found (each shard stops at its first and shrinks it), re-run
  ``--reruns`` times from its scenario file with ``rig replay`` and classified
  reproducible (failed every time), intermittent (failed some times) or not reproduced,
  with the one command that replays it,

and writes ``bench/results/nightly.json``. Exit status: 0 when every dangerous state was
reached, every expected shard (``--shards``) left its record and nothing failed; 1 when a
state was never reached, a shard is missing (a worker that died writes nothing) or a shard
failed; 2 when there is nothing to summarise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.build import ROOT
from tests.property.rig_coverage import STATES

RESULTS = ROOT / "bench" / "results" / "nightly.json"
RIG = ROOT / ".venv" / "bin" / "rig"


def load(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("shard-*.json"))]


def replay_command(shrunk: dict[str, Any]) -> list[str]:
    return [str(RIG), "replay", str(shrunk["run_seed"]), shrunk["scenario_file"]]


def classify(shrunk: dict[str, Any], reruns: int) -> dict[str, Any]:
    """Re-run a failure's scenario file; how often did it fail again?"""
    if not shrunk.get("scenario_file"):
        return {"class": "not replayable", "failed": 0, "runs": 0,
                "why": "it failed before its first step: there is no schedule to replay"}
    codes = []
    for _ in range(reruns):
        done = subprocess.run(replay_command(shrunk), cwd=ROOT, capture_output=True,
                              text=True, check=False)
        codes.append(done.returncode)
    failed = sum(c == 1 for c in codes)
    errors = sum(c not in (0, 1) for c in codes)
    kind = ("reproducible" if failed == reruns else "intermittent" if failed else
            "rig error on replay" if errors else "not reproduced")
    return {"class": kind, "failed": failed, "runs": reruns, "exit_codes": codes}


def summarise(shards: list[dict[str, Any]], reruns: int, expected: int = 0
              ) -> dict[str, Any]:
    examples = sum(s["examples"] for s in shards)
    wall = max((s["wall_seconds"] for s in shards), default=0.0)
    reached = {st.name: sum(s["reached"].get(st.name, 0) for s in shards) for st in STATES}
    outcomes: dict[str, int] = {}
    for s in shards:
        for k, v in s["outcomes"].items():
            outcomes[k] = outcomes.get(k, 0) + v
    failures = []
    for s in shards:
        if s.get("failure"):
            shrunk = s.get("shrunk") or {}
            entry = {"shard": s["shard"], "worker": s["worker"], "failure": s["failure"],
                     **shrunk}
            if shrunk:
                entry["replay"] = "rig " + " ".join(replay_command(shrunk)[1:])
                entry.update(classify(shrunk, reruns))
            failures.append(entry)
    return {"schema": "coffeepay-nightly/1",
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "shards": len(shards), "shards_missing": max(0, expected - len(shards)),
            "examples": examples, "wall_seconds": wall,
            "examples_per_second": round(examples / wall, 3) if wall else 0.0,
            "outcomes": outcomes, "reached": reached,
            "unreached": [n for n, c in reached.items() if not c],
            "failures": failures}


def render(doc: dict[str, Any]) -> str:
    lines = [f"nightly: {doc['examples']} random fault schedules in {doc['shards']} shards, "
             f"{doc['wall_seconds'] / 60:.1f} min ({doc['examples_per_second']} examples/s); "
             f"outcomes {doc['outcomes']}", "",
             f"{'dangerous state':<32} {'examples':>9}  what", "-" * 100]
    described = {st.name: st.description for st in STATES}
    for name, count in doc["reached"].items():
        mark = "" if count else "   <-- NEVER REACHED"
        lines.append(f"{name:<32} {count:>9}  {described[name]}{mark}")
    lines.append("")
    if doc["shards_missing"]:
        lines.append(f"MISSING: {doc['shards_missing']} shard(s) left no record (a worker died "
                     f"before its examples ended); their examples are not counted")
    if not doc["failures"]:
        lines.append("failures: none")
    for f in doc["failures"]:
        lines.append(f"FAILED shard {f['shard']} ({f['worker']}): {f.get('outcome', '')} "
                     f"{f.get('summary') or f['failure']}")
        if f.get("replay"):
            lines.append(f"  {f['class']} ({f['failed']} of {f['runs']} re-runs failed); "
                         f"replay: {f['replay']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", type=Path, help="the shards' record directory")
    ap.add_argument("--reruns", type=int, default=3,
                    help="re-runs of each failure to classify it (default 3)")
    ap.add_argument("--shards", type=int, default=0,
                    help="shards that must have left a record (default: no check)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    shards = load(args.records) if args.records.is_dir() else []
    if not shards:
        print(f"nightly_summary: no shard records in {args.records}: did the property shards "
              f"run with COFFEEPAY_NIGHTLY_RECORDS={args.records}?", file=sys.stderr)
        return 2
    doc = summarise(shards, max(1, args.reruns), args.shards)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(render(doc))
    return 1 if doc["unreached"] or doc["failures"] or doc["shards_missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
