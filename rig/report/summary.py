"""The terminal summary QA reads first: one line per scenario, replay commands for failures.

Built from the ``run record`` each scenario's Allure result carries (so it works on a results
directory merged from several workers or hosts), or straight from ``RunResult``s. Money is in
credits (the token's 6 decimals), exact: a one-unit discrepancy must stay visible.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rig.report.errors import NoResultsError
from rig.report.record import RECORD_NAME, RunRecord, record_of
from rig.report.trend import letters

if TYPE_CHECKING:
    from rig.scenario.runner import RunResult

DECIMALS = 6
NAME_WIDTH = 44
OUTCOMES = ("passed", "violated", "failed", "inconclusive", "error")


@dataclass(frozen=True)
class Loaded:
    records: list[RunRecord]
    other: Counter                # statuses of results that are not scenarios
    unreadable: list[str]         # results whose run record could not be read, and why


def credits(units: int | None) -> str:
    if units is None:
        return "—"
    value = Decimal(units).scaleb(-DECIMALS).normalize()
    text = f"{value:f}"
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def _record_source(doc: dict) -> str | None:
    for att in doc.get("attachments") or []:
        if isinstance(att, dict) and att.get("name") == RECORD_NAME:
            return att.get("source")
    return None


def load_results(results: Path) -> Loaded:
    """Run records from an Allure results directory (the latest result per scenario)."""
    results = Path(results)
    if not results.is_dir():
        raise NoResultsError(f"{results}: no such results directory")
    latest: dict[tuple[str, str], tuple[int, RunRecord]] = {}
    other: Counter = Counter()
    unreadable: list[str] = []
    for path in sorted(results.glob("*-result.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            unreadable.append(f"{path.name}: {e}")
            continue
        source = _record_source(doc)
        if source is None:
            other[str(doc.get("status", "unknown"))] += 1
            continue
        try:
            record = RunRecord.load(results / source)
        except ValueError as e:
            unreadable.append(f"{path.name}: {e}")
            continue
        key = (record.scenario_file, record.scenario_id)
        stop = int(doc.get("stop") or 0)
        if key not in latest or stop >= latest[key][0]:
            latest[key] = (stop, record)
    records = sorted((r for _, r in latest.values()), key=lambda r: r.scenario_file)
    return Loaded(records, other, unreadable)


def _faults(r: RunRecord) -> str:
    if not r.faults_fired:
        return "0"
    kinds = Counter(r.faults_fired)
    return f"{len(r.faults_fired)}: " + ", ".join(
        k if n == 1 else f"{k} x{n}" for k, n in kinds.items())


def _row(r: RunRecord) -> list[str]:
    money = "/".join(credits(r.ledger_value(k)) for k in ("redeemed", "dispensed_value",
                                                          "credits"))
    name = r.scenario if len(r.scenario) <= NAME_WIDTH else r.scenario[:NAME_WIDTH - 1] + "…"
    outcome = r.outcome + (" (retried)" if r.retried else "") + (", flaky" if r.flaky else "")
    return [name, outcome, _faults(r), "—" if r.coffees is None else str(r.coffees), money,
            f"{r.duration:.1f}s", letters(r.recent) or "—"]


HEADERS = ["scenario", "outcome", "faults fired", "coffees", "P/value(B)/C", "duration",
           "recent"]
LEGEND = ("recent: this and earlier runs' outcomes, oldest first (P passed, V violated, "
          "F failed, I inconclusive, E error); flaky: both passes and failures")


def render_summary(records: Sequence[RunRecord], other: Counter | None = None,
                   unreadable: Sequence[str] = ()) -> str:
    rows = [HEADERS, *(_row(r) for r in records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    counts = Counter(r.outcome for r in records)
    lines.append("")
    lines.append(f"{len(records)} scenario(s): " + ", ".join(
        f"{counts.get(o, 0)} {o}" for o in OUTCOMES))
    flaky = sum(r.flaky for r in records)
    if flaky:
        lines.append(f"{flaky} flaky (passed and failed within their recent runs)")
    if any(r.recent for r in records):
        lines.append(LEGEND)
    if other:
        lines.append("other tests: " + ", ".join(f"{n} {s}" for s, n in sorted(other.items())))
    failing = [r for r in records if r.failing]
    if failing:
        lines.append("")
        lines.append("replay the failures:")
        lines += [f"  {r.replay}    # {r.scenario}: {r.outcome}"
                  + (f"; {r.reproducibility}" if r.reproducibility else "") for r in failing]
    for problem in unreadable:
        lines.append(f"unreadable result: {problem}")
    return "\n".join(lines)


def summary_of(source: Path | Iterable[RunResult]) -> str:
    """The summary of a results directory or of RunResults."""
    if isinstance(source, str | Path):
        loaded = load_results(Path(source))
        return render_summary(loaded.records, loaded.other, loaded.unreadable)
    return render_summary([record_of(r) for r in source])


def print_summary(source: Path | Iterable[RunResult], out: TextIO | None = None) -> str:
    text = summary_of(source)
    print(text, file=out or sys.stdout)
    return text
