"""The per-channel ledger and each invariant's verdict with its evidence, as HTML.

Read from the oracle report's JSON (``OracleReport.to_json()``), never from its objects, so
a saved report renders the same and a report from a newer oracle with extra fields still
renders: unknown ledger numbers are shown under their own key, unknown verdict fields are
left to the JSON attachment.
"""

from __future__ import annotations

from typing import Any

from rig.report.html_table import bullets, esc, table

LEDGER_LABELS = {
    "deposit": "D  deposited into the channel",
    "signed_max": "S  signed by phones, max",
    "signed_receipts": "   receipts signed",
    "acknowledged_max": "A  acknowledged by the machine, max",
    "acknowledged_receipts": "   receipts acknowledged",
    "redeemed": "P  redeemed to the payee",
    "refunded": "R  refunded to the customer",
    "locked": "L  still locked",
    "dispensed": "   coffees dispensed",
    "dispensed_value": "B  value of the coffees dispensed",
    "credits": "C  credits owed by the machine",
}
EVIDENCE_ROWS = 20


def ledger_html(doc: dict[str, Any]) -> str:
    ledger = doc.get("ledger")
    if not isinstance(ledger, dict) or not ledger:
        return "<p>The oracle report has no ledger.</p>"
    keys = [k for k in LEDGER_LABELS if k in ledger] + [k for k in ledger
                                                        if k not in LEDGER_LABELS]
    channel = doc.get("channel")
    head = f"<h3>Ledger of channel <code>{esc(channel)}</code> (credit token units)</h3>"
    return head + table(["", "value"], ([LEDGER_LABELS.get(k, k), ledger[k]] for k in keys),
                        numeric=(1,))


def verdicts_html(doc: dict[str, Any], plain: bool = False) -> str:
    """The verdict table; ``plain`` as a list (for Allure's sanitised description)."""
    verdicts = [v for v in doc.get("verdicts") or [] if isinstance(v, dict)]
    if not verdicts:
        return "<p>The oracle report has no verdicts.</p>"
    headers = ["id", "invariant", "verdict", "errors", "summary"]
    rows = [[v.get("id"), v.get("name"), v.get("outcome"), v.get("count"), v.get("summary")]
            for v in verdicts]
    if plain:
        return "<h4>Invariants</h4>" + bullets(
            (f"{v.get('id')} {v.get('name')}: {v.get('outcome')}", v.get("summary") or "")
            for v in verdicts)
    return "<h3>Invariants</h3>" + table(
        headers, rows, row_classes=[str(v.get("outcome", "")) for v in verdicts],
        numeric=(3,))


def _evidence(evidence: Any) -> str:
    if not isinstance(evidence, dict) or not evidence:
        return ""
    parts = []
    for kind, items in evidence.items():
        items = items if isinstance(items, list) else [items]
        dicts = [i if isinstance(i, dict) else {"value": i} for i in items]
        cols: list[str] = []
        for d in dicts:
            cols += [k for k in d if k not in cols]
        more = (f"<p>… {len(dicts) - EVIDENCE_ROWS} more in the oracle report JSON.</p>"
                if len(dicts) > EVIDENCE_ROWS else "")
        parts.append(f"<h5>{esc(kind)} ({len(dicts)})</h5>"
                     + table(cols, ([d.get(c) for c in cols] for d in dicts[:EVIDENCE_ROWS]))
                     + more)
    return "".join(parts)


def _around(timeline: Any) -> str:
    if not isinstance(timeline, list) or not timeline:
        return ""
    rows = [t for t in timeline if isinstance(t, dict)]
    return "<h5>fault timeline around it (dt: seconds from the finding)</h5>" + table(
        ["dt", "what", "action", "parameters", "firmware checkpoint", "note"],
        ([t.get("dt"), t.get("kind"), t.get("action"), t.get("params"), t.get("checkpoint"),
          t.get("note")] for t in rows),
        row_classes=[str(t.get("action")) if t.get("action") in ("fire", "heal") else ""
                     for t in rows], numeric=(0,))


def violation_html(label: str, v: dict[str, Any]) -> str:
    return (f"<h4>{esc(label)}: {esc(v.get('message'))}</h4>"
            f"<p>outcome {esc(v.get('outcome'))}, severity {esc(v.get('severity'))}, "
            f"channel <code>{esc(v.get('channel'))}</code></p>"
            + _evidence(v.get("evidence")) + _around(v.get("timeline")))


def verdict_details_html(v: dict[str, Any]) -> str:
    """First, worst and last error of a failing or undecided invariant (Jepsen's checkers)."""
    parts = [f"<h3>{esc(v.get('id'))} {esc(v.get('name'))}: {esc(v.get('outcome'))}, "
             f"{esc(v.get('count'))} error(s)</h3>"]
    shown: list[Any] = []
    for label in ("first", "worst", "last"):
        one = v.get(label)
        if isinstance(one, dict) and one not in shown:
            shown.append(one)
            parts.append(violation_html(label, one))
    return "".join(parts)


def oracle_html(doc: dict[str, Any]) -> str:
    """The whole oracle section: ledger, verdict table, details of every non-ok verdict."""
    details = [verdict_details_html(v) for v in doc.get("verdicts") or []
               if isinstance(v, dict) and v.get("outcome") != "ok"]
    replay = doc.get("replay")
    tail = f"<p>replay: <code>{esc(replay)}</code></p>" if replay else ""
    return ledger_html(doc) + verdicts_html(doc) + "".join(details) + tail
