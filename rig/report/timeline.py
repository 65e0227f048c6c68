"""The fault timeline as an auditor reads it: what the rig did, when, and where the firmware
was at that moment (its last reported checkpoint).

Scenario steps and faults are interleaved in the order they happened; fault rows are
coloured (fired red, healed green). Times are seconds since the first entry plus the UTC
wall clock, so they line up with the firmware's JSON-lines log (``t`` is the same clock).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from rig.history import TimelineEntry
from rig.report.html_table import bullets, table


@dataclass(frozen=True)
class TimelineRow:
    t: float                      # seconds since the first entry
    at: float                     # host wall clock (unix seconds)
    kind: str                     # fault kind (power.cut, net.blackhole, ...) or step name
    action: str                   # fire | heal | step
    params: dict[str, Any]
    checkpoint: str | None
    note: str

    @property
    def is_fault(self) -> bool:
        return self.action in ("fire", "heal")

    @property
    def utc(self) -> str:
        return datetime.fromtimestamp(self.at, UTC).strftime("%H:%M:%S.%f")[:-3]


def short_where(note: str, source: str | None) -> str:
    """A step's location without the scenario file's path (it is the test's suite)."""
    if source and note.startswith(f"{source}: "):
        return note[len(source) + 2:]
    return note


def timeline_rows(entries: list[TimelineEntry], source: str | None = None) -> list[TimelineRow]:
    ordered = sorted(entries, key=lambda e: e.at)
    t0 = ordered[0].at if ordered else 0.0
    return [TimelineRow(round(e.at - t0, 3), e.at, e.kind, e.action, dict(e.params),
                        e.checkpoint, short_where(e.note, source)) for e in ordered]


def timeline_json(rows: list[TimelineRow]) -> list[dict]:
    return [asdict(r) for r in rows]


def timeline_html(rows: list[TimelineRow]) -> str:
    if not rows:
        return "<p>No timeline: the run ended before its first step (see the message).</p>"
    fired = sum(r.action == "fire" for r in rows)
    intro = (f"<p>{len(rows)} entries, {fired} fault(s) fired. Checkpoint = the firmware's "
             f"last reported checkpoint when the rig acted.</p>")
    return intro + table(
        ["t (s)", "UTC", "what", "action", "parameters", "firmware checkpoint", "note"],
        ([f"{r.t:.3f}", r.utc, r.kind, r.action, r.params or "", r.checkpoint, r.note]
         for r in rows),
        row_classes=[r.action if r.is_fault else "" for r in rows], numeric=(0,))


def faults_summary_html(rows: list[TimelineRow]) -> str:
    """Just the fault rows, for the test's description (always visible in the report)."""
    faults = [r for r in rows if r.is_fault]
    if not faults:
        return "<p>No fault was injected.</p>"
    return bullets((f"{r.t:.3f} s  {r.kind} {r.action}",
                    f"{json.dumps(r.params, default=str) if r.params else ''} — firmware at "
                    f"checkpoint {r.checkpoint or 'none yet'}") for r in faults)


def step_title(r: TimelineRow) -> str:
    """The Allure step name of one timeline entry."""
    if r.action == "fire":
        where = f" at checkpoint {r.checkpoint}" if r.checkpoint else ""
        return f"fault {r.kind} fired{where}"
    if r.action == "heal":
        return f"fault {r.kind} healed"
    args = ", ".join(f"{k}={json.dumps(v, default=str) if isinstance(v, dict | list) else v}"
                     for k, v in r.params.items())
    return f"{r.kind}({args})" if args else r.kind
