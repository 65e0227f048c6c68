"""When the machine could reach the chain, read from the fault timeline.

The rule (docs/oracle.md, "Online"): the machine is *online* at a moment when its Pi is
powered, no network fault is active and the chain is not holding its transactions back.

- A step is an entry with action ``step``; its name is its kind (how the scenario runner
  records steps), or for kind ``step`` the ``params["step"]`` / ``params["name"]``.
- Power goes off at a ``power.*`` ``fire`` and at a ``power_off`` / ``shutdown`` step; it
  comes back at a ``power.*`` ``heal`` and at a ``power_on`` / ``boot`` step. A power fault
  that arms at ``fire`` and records the moment it cut (its next entry of the same kind is
  ``cut`` or ``miss``) goes off at ``cut`` and never for ``miss``. Before the first power
  change the Pi counts as powered, unless that first change is a power-on (then it was off).
- A ``net.*`` ``fire`` makes that fault kind active; a ``heal`` of the kind clears it (one
  heal ends every firing of the kind).
- A chain fault that keeps the machine's transactions out of blocks counts the same way,
  from its ``fire`` to the entry that ends the hold (``CHAIN_HOLDS``): ``chain.hold_mining``
  until ``heal``; ``chain.drop_tx`` until it ``dropped`` the transaction or gave up (``miss``).
- The ``final`` step (every fault healed, power on, link up) makes the machine online.
- Entries are taken in the order of ``at`` (host wall clock, the clock the firmware's
  ``sync_interval`` sleeps on); a state holds from its entry until the next change.

The close window of a channel runs from the first ``close`` step to whichever comes first:
the first ``settle`` step at or after it, or the moment chain time passed the close deadline
(deadline.py: after it the contract refuses every redeem). Without either it is open-ended
(after the final heal the machine stays online). Without a ``close`` step the timeline does
not bound the window and the machine is taken to have been online (the strict reading: an
exemption needs evidence).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from rig.history import TimelineEntry

if TYPE_CHECKING:
    from rig.oracle.deadline import DeadlinePassed

CHAIN_HOLDS: dict[str, frozenset[str]] = {
    "chain.hold_mining": frozenset({"heal"}),
    "chain.drop_tx": frozenset({"dropped", "miss", "heal"}),
}
"""Chain faults during which the machine's transactions cannot be mined → what ends each."""
POWER_ON_STEPS = frozenset({"power_on", "boot"})
POWER_OFF_STEPS = frozenset({"power_off", "shutdown"})
FINAL_STEPS = frozenset({"final"})
CLOSE_STEPS = frozenset({"close"})
SETTLE_STEPS = frozenset({"settle"})


def step_name(entry: TimelineEntry) -> str | None:
    if entry.action != "step":
        return None
    if entry.kind != "step":
        return entry.kind
    for key in ("step", "name"):
        value = entry.params.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _power_changes(entries: list[TimelineEntry]) -> dict[int, bool]:
    """Index of each entry that switches power → True (on) or False (off)."""
    changes: dict[int, bool] = {}
    for i, e in enumerate(entries):
        if e.kind.startswith("power."):
            if e.action == "heal":
                changes[i] = True
            elif e.action == "cut":
                changes[i] = False
            elif e.action == "fire":
                after = next((x.action for x in entries[i + 1:] if x.kind == e.kind), None)
                if after not in ("cut", "miss"):
                    changes[i] = False
            continue
        name = step_name(e)
        if name in POWER_ON_STEPS or name in FINAL_STEPS:
            changes[i] = True
        elif name in POWER_OFF_STEPS:
            changes[i] = False
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
        active: set[str] = set()
        changes: list[tuple[float, bool]] = []
        for i, e in enumerate(entries):
            if i in power:
                powered = power[i]
                if step_name(e) in FINAL_STEPS:
                    active.clear()
            elif e.kind.startswith("net.") and e.action in ("fire", "heal"):
                (active.add if e.action == "fire" else active.discard)(e.kind)
            elif e.kind in CHAIN_HOLDS and e.action == "fire":
                active.add(e.kind)
            elif e.kind in CHAIN_HOLDS and e.action in CHAIN_HOLDS[e.kind]:
                active.discard(e.kind)
            else:
                continue
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
    whichever came first. ``longest_online`` is None when the timeline has no ``close`` step
    (window unknown).
    """

    close: TimelineEntry | None
    settle: TimelineEntry | None
    longest_online: float | None
    sync_interval: float
    deadline: DeadlinePassed | None = None

    @property
    def machine_could_act(self) -> bool:
        """Online for at least one sync interval in the window (or the window is unknown)."""
        return self.longest_online is None or self.longest_online >= self.sync_interval

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
            "machine_could_act": self.machine_could_act,
        }


def close_step(timeline: list[TimelineEntry]) -> TimelineEntry | None:
    """The first ``close`` step: where every channel's close window starts."""
    return next((e for e in _ordered(timeline) if step_name(e) in CLOSE_STEPS), None)


def close_window(timeline: list[TimelineEntry], sync_interval: float,
                 deadline: DeadlinePassed | None = None) -> CloseWindow:
    """The window from the first ``close`` step to the first ``settle`` step at or after it
    or ``deadline`` (when chain time passed it), whichever came first."""
    close = close_step(timeline)
    if close is None:
        return CloseWindow(None, None, None, sync_interval)
    settle = next((e for e in _ordered(timeline)
                   if step_name(e) in SETTLE_STEPS and e.at >= close.at), None)
    window = CloseWindow(close, settle, None, sync_interval, deadline)
    longest = Connectivity.from_timeline(timeline).longest_online(close.at, window.end)
    return CloseWindow(close, settle, longest, sync_interval, deadline)
