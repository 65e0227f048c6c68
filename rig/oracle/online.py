"""When the machine could reach the chain, read from the fault timeline.

The rule (docs/oracle.md, "Online"): the machine is *online* at a moment when its Pi is
powered and nothing keeps it off the chain. What each entry changes comes from the
declarations of the fault or step behind it (effects.py, rig/effects.py), never from names:

- ``CUTS_POWER`` beginning switches the Pi off, ending switches it on (one switch: a ``boot``
  step powers on whatever cut it). Before the first power change the Pi counts as powered,
  unless that first change is a power-on (a run that starts with ``boot``: off until then).
- Each effect of ``OFFLINE`` beginning at a fault (or step) makes that source active until an
  entry of the same source ends it (one ``heal`` ends every firing of the kind).
- The runner's ``final`` step ends every effect (every fault healed, power on, link up).
- Entries are taken in the order of ``at`` (host wall clock, the clock the firmware's
  ``sync_interval`` sleeps on); a state holds from its entry until the next change.

The close window of a channel runs from the first step declaring ``REQUESTS_CLOSE`` (the
``close`` step) to whichever comes first: the first step declaring ``SETTLES_CHANNEL`` at or
after it, or the moment chain time passed the close deadline (deadline.py: after it the
contract refuses every redeem). Without either it is open-ended (after the final heal the
machine stays online). Without a close step the timeline does not bound the window and the
machine is taken to have been online (the strict reading: an exemption needs evidence).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from rig.effects import Effect
from rig.history import TimelineEntry
from rig.oracle.effects import change_of, step_name

if TYPE_CHECKING:
    from rig.oracle.deadline import DeadlinePassed

__all__ = ["OFFLINE", "CloseWindow", "Connectivity",
           "close_step", "close_window", "is_close_step", "step_name"]

CLOSE_MINED = "mined"
"""The timeline action the close step records once its transaction is in a block."""
DROPPED = "dropped"
"""The timeline action of a fault that took transactions out of the chain or the pool; its
note names their hashes (``chain.reorg``, ``chain.drop_tx``)."""
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")

OFFLINE = frozenset({Effect.CUTS_UPLINK, Effect.SLOWS_UPLINK, Effect.HOLDS_MINING,
                     Effect.REFUSES_TRANSACTIONS, Effect.RESTARTS_NODE,
                     Effect.FILLS_STORAGE})
"""Effects that keep a powered machine from getting a redeem mined: the uplink is down or
slow (a slow link counts too: the strict side for INV-2/3/7 is "offline"), the chain holds or
refuses its transactions, the node is down, or the firmware cannot persist a transaction."""


def is_close_step(entry: TimelineEntry) -> bool:
    return step_name(entry) is not None and Effect.REQUESTS_CLOSE in change_of(entry).begins


def _is_settle_step(entry: TimelineEntry) -> bool:
    return step_name(entry) is not None and Effect.SETTLES_CHANNEL in change_of(entry).begins


def _power_changes(entries: list[TimelineEntry]) -> dict[int, bool]:
    """Index of each entry that switches power -> True (on) or False (off)."""
    changes: dict[int, bool] = {}
    for i, e in enumerate(entries):
        change = change_of(e)
        if Effect.CUTS_POWER in change.begins:
            changes[i] = False
        elif Effect.CUTS_POWER in change.ends:
            changes[i] = True
    return changes


def _ordered(timeline: list[TimelineEntry]) -> list[TimelineEntry]:
    return sorted(timeline, key=lambda e: e.at)


@dataclass(frozen=True)
class Connectivity:
    """Online or not over time: ``initially`` until the first change, then each change's
    state until the next one."""

    initially: bool
    changes: tuple[tuple[float, bool], ...]

    @classmethod
    def from_timeline(cls, timeline: list[TimelineEntry]) -> Connectivity:
        entries = _ordered(timeline)
        power = _power_changes(entries)
        first = next(iter(power.values()), None)
        powered = first is not True
        initially = powered
        active: set[tuple[str, Effect]] = set()
        changes: list[tuple[float, bool]] = []
        for i, e in enumerate(entries):
            change = change_of(e)
            ends = {(change.source, x) for x in change.ends & OFFLINE}
            begins = {(change.source, x) for x in change.begins & OFFLINE}
            if i not in power and not ends & active and not begins:
                continue
            if i in power:
                powered = power[i]
            if change.ends == frozenset(Effect):
                active.clear()
            active -= ends
            active |= begins
            changes.append((e.at, powered and not active))
        return cls(initially, tuple(changes))

    def online_periods(self, start: float, end: float) -> list[tuple[float, float]]:
        """Maximal online intervals inside [start, end]."""
        bounds = [(-math.inf, self.initially), *self.changes]
        periods: list[tuple[float, float]] = []
        for i, (since, online) in enumerate(bounds):
            until = bounds[i + 1][0] if i + 1 < len(bounds) else math.inf
            lo, hi = max(since, start), min(until, end)
            if not online or lo >= hi:
                continue
            if periods and periods[-1][1] >= lo:
                periods[-1] = (periods[-1][0], max(periods[-1][1], hi))
            else:
                periods.append((lo, hi))
        return periods

    def longest_online(self, start: float, end: float) -> float:
        return max((hi - lo for lo, hi in self.online_periods(start, end)), default=0.0)


@dataclass(frozen=True)
class CloseWindow:
    """The challenge window as the rig drove it, and how long the machine could act in it.

    It ends at the ``settle`` step or when chain time passed the deadline (``deadline``),
    whichever came first. ``longest_online`` and ``rounds`` are measured up to the first
    moment it can have ended (``DeadlinePassed.earliest``), since a redeem after that may be
    refused; ``longest_online`` is None when the timeline has no ``close`` step (window
    unknown).
    """

    close: TimelineEntry | None
    settle: TimelineEntry | None
    longest_online: float | None
    sync_interval: float
    deadline: DeadlinePassed | None = None
    rounds: int | None = None   # most ``synced`` checkpoints in one online stretch of it

    @property
    def machine_could_act(self) -> bool:
        """A sync round that began after the close was on chain ended inside the window while
        the machine stayed online: two ``synced`` checkpoints in one online stretch (the first
        may end a round that read the chain before the close). A round's length is the host's,
        not the sync interval: on a loaded host one takes longer. Without any ``synced``
        checkpoint in the history, online for one sync interval; the window unknown: True."""
        if self.longest_online is None:
            return True
        if self.rounds is not None:
            return self.rounds >= 2
        return self.longest_online >= self.sync_interval

    @property
    def end(self) -> float:
        """Host moment the window ended (inf while neither a settle nor the deadline did)."""
        return min(self.settle.at if self.settle is not None else math.inf,
                   self.deadline.at if self.deadline is not None else math.inf)

    @property
    def ended_by(self) -> str | None:
        """``settle``, ``deadline`` or None (open-ended): what ended the window."""
        if self.deadline is not None and self.end == self.deadline.at:
            return "deadline"
        return "settle" if self.settle is not None else None

    @property
    def bounded(self) -> bool:
        return self.close is not None and self.ended_by is not None

    def to_json(self) -> dict:
        longest = self.longest_online
        return {
            "close_step": asdict(self.close) if self.close else None,
            "settle_step": asdict(self.settle) if self.settle else None,
            "deadline_passed": self.deadline.to_json() if self.deadline else None,
            "ended_by": self.ended_by,
            "longest_online_s": None if longest is None or math.isinf(longest)
            else round(longest, 3),
            "unbounded_online": longest is not None and math.isinf(longest),
            "sync_interval_s": self.sync_interval,
            "sync_rounds": self.rounds,
            "machine_could_act": self.machine_could_act,
        }


def _close_mined(timeline: list[TimelineEntry], close: TimelineEntry) -> float:
    """When the close was certainly on chain: the close step's ``mined`` note (the step's own
    entry is written before its transaction is even sent, and on a loaded host mining it can
    take longer than a sync interval); the step's entry in histories without the note."""
    return next((e.at for e in _ordered(timeline)
                 if e.kind == close.kind and e.action == CLOSE_MINED and e.at >= close.at),
                close.at)


def close_step(timeline: list[TimelineEntry]) -> TimelineEntry | None:
    """The first close step (``REQUESTS_CLOSE``): where every channel's window starts."""
    return next((e for e in _ordered(timeline) if is_close_step(e)), None)


def redeems_undone(timeline: list[TimelineEntry], redeems: set[str]) -> list[float]:
    """Host moments a fault took one of the machine's ``redeems`` (transaction hashes) out of
    the chain or the pool: from there the machine must sync again to see it gone and send it
    again before its redeem can count."""
    wanted = {r.lower() for r in redeems}
    return [e.at for e in timeline if e.action == DROPPED and e.note
            and any(h.lower() in wanted for h in _TX_HASH.findall(e.note))]


def close_window(timeline: list[TimelineEntry], sync_interval: float,
                 deadline: DeadlinePassed | None = None,
                 synced: list[float] | None = None,
                 undone: list[float] | None = None) -> CloseWindow:
    """The window from the first ``close`` step to the first ``settle`` step at or after it
    or ``deadline`` (when chain time passed it), whichever came first. ``synced``: the host
    moments of the firmware's ``synced`` checkpoints (None or empty: not recorded);
    ``undone``: moments a fault took a redeem of the machine away (``redeems_undone``), after
    which its rounds count afresh."""
    close = close_step(timeline)
    if close is None:
        return CloseWindow(None, None, None, sync_interval)
    settle = next((e for e in _ordered(timeline)
                   if _is_settle_step(e) and e.at >= close.at), None)
    # The machine is judged on what it could do before the window can have ended: a settle,
    # or the first moment chain time can have passed the deadline (not when it certainly had).
    acting_end = min(settle.at if settle is not None else math.inf,
                     deadline.earliest if deadline is not None else math.inf)
    conn = Connectivity.from_timeline(timeline)
    mined = _close_mined(timeline, close)
    start = max([mined, *(t for t in undone or () if mined <= t <= acting_end)])
    longest = conn.longest_online(start, acting_end)
    rounds = None if not synced else max(
        (sum(lo <= t <= hi for t in synced) for lo, hi in conn.online_periods(start, acting_end)),
        default=0)
    return CloseWindow(close, settle, longest, sync_interval, deadline, rounds)
