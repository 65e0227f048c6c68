"""The report as a terminal table an auditor reads top to bottom: the ledger, one line per
invariant, then each failing or undecided invariant's first / worst / last with evidence and
the fault timeline around it. Times are seconds since the run's first recorded moment."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rig.oracle.report import OracleReport, Verdict, Violation

WIDTH = 120
EVIDENCE_ITEMS = 3


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _t(report: OracleReport, at: float | None) -> str:
    return "     —  " if at is None else f"{at - report.t0:+8.3f}s"


def _ledger(report: OracleReport) -> list[str]:
    lines = ["ledger (credit token units)"]
    lines += [f"  {label:<48} {value:>16,}" for label, value in report.ledger.rows()]
    return lines


def _table(report: OracleReport) -> list[str]:
    lines = [f"  {'id':<6} {'invariant':<24} {'outcome':<7} {'count':>5}  summary"]
    for v in report.verdicts:
        outcome = v.outcome.upper() if v.outcome != "ok" else "ok"
        lines.append(_clip(f"  {v.id:<6} {v.name:<24} {outcome:<7} {v.count:>5}  {v.summary}",
                           WIDTH))
    return lines


def _operations(report: OracleReport) -> list[str]:
    if not report.operations:
        return []
    counts: dict[str, Counter] = {}
    for op in report.operations:
        counts.setdefault(op["kind"], Counter())[op["outcome"]] += 1
    parts = [f"{sum(c.values())} {kind}s ({c['ok']} ok, {c['fail']} fail, {c['info']} info)"
             for kind, c in counts.items()]
    lines = ["operations: " + ", ".join(parts)]
    for op in report.operations:
        if op["outcome"] == "info":
            why = op["detail"].get("note") or op["detail"].get("interrupted") \
                or op["detail"].get("verdict")
            lines.append(_clip(f"  info {op['kind']:<6} {_t(report, op['started_at'])} "
                               f"boot {op['boot']}: {why}", WIDTH))
    return lines


def _violation(report: OracleReport, label: str, e: Violation) -> list[str]:
    lines = [_clip(f"  {label:<5} {_t(report, e.at)}  {e.message}", WIDTH)]
    for kind, items in e.evidence.items():
        lines.append(f"        {kind} ({len(items)}):")
        for item in items[:EVIDENCE_ITEMS]:
            lines.append(_clip("          " + json.dumps(item, default=str), WIDTH))
        if len(items) > EVIDENCE_ITEMS:
            lines.append(f"          … {len(items) - EVIDENCE_ITEMS} more in the JSON report")
    if e.timeline:
        lines.append("        timeline around it:")
        for t in e.timeline:
            where = f" at checkpoint {t['checkpoint']}" if t.get("checkpoint") else ""
            lines.append(_clip(f"          {_t(report, t['at'])}  {t['kind']} {t['action']} "
                               f"{json.dumps(t['params'], default=str)}{where}"
                               f"{'  ' + t['note'] if t.get('note') else ''}", WIDTH))
    return lines


def _details(report: OracleReport, v: Verdict) -> list[str]:
    lines = [f"{v.id} {v.name} — {v.outcome.upper()}, {v.count} error(s)"]
    shown: list[Violation] = []
    for label, e in (("first", v.first), ("worst", v.worst), ("last", v.last)):
        if e is None or any(e is s for s in shown):
            continue
        shown.append(e)
        lines += _violation(report, label, e)
    return lines


def render_text(report: OracleReport) -> str:
    head = (f"ORACLE  scenario {report.scenario}  seed {report.seed}  "
            f"channel {report.channel}  →  {report.outcome.upper()}")
    lines = [head, f"replay: {report.replay}", "", *_ledger(report), "", *_table(report)]
    ops = _operations(report)
    if ops:
        lines += ["", *ops]
    for v in report.verdicts:
        if v.outcome != "ok":
            lines += ["", *_details(report, v)]
    return "\n".join(lines) + "\n"
