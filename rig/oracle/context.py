"""The fault timeline around a finding: what the rig had injected when it happened."""

from __future__ import annotations

from dataclasses import asdict

from rig.history import TimelineEntry

AROUND_SECONDS = 5.0
NEAREST = 2


def around(timeline: list[TimelineEntry], at: float | None, seconds: float = AROUND_SECONDS,
           nearest: int = NEAREST) -> list[dict]:
    """Entries within ``seconds`` of ``at``; without any, the ``nearest`` on each side.

    A finding with no moment (a chain-only fact) gets the last entries: how the run ended.
    Each entry carries ``dt``, its offset from ``at`` in seconds.
    """
    entries = sorted(timeline, key=lambda e: e.at)
    if at is None:
        picked = entries[-2 * nearest:]
    else:
        picked = [e for e in entries if abs(e.at - at) <= seconds]
        if not picked:
            picked = ([e for e in entries if e.at < at][-nearest:]
                      + [e for e in entries if e.at > at][:nearest])
    return [{**asdict(e), "dt": None if at is None else round(e.at - at, 3)} for e in picked]
