"""The dangerous states the nightly's random schedules must reach, declared in one place.

A count of examples says little if none of them cut the power between a receipt's signature
and its write. Each state here is recognised from what an example leaves behind: the rig's
timeline (faults fired, their cuts, the steps) and the firmware's own console log (its
broadcasts, finality and reorg events). The nightly counts the examples that reached each
state and fails when one was never reached (``bench.nightly_summary``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.effects import Effect
from rig.faults import FaultError, fault_class
from rig.history import TimelineEntry


@dataclass(frozen=True)
class Evidence:
    """One example's record: the rig's timeline and the firmware's log events."""

    timeline: tuple[TimelineEntry, ...]
    console: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, timeline: Iterable[TimelineEntry], console_log: Path) -> Evidence:
        events = []
        if console_log.exists():
            for line in console_log.read_text(errors="replace").splitlines():
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue      # a line torn by a power cut
        return cls(tuple(timeline), tuple(e for e in events if isinstance(e, dict)))

    def events(self, name: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.console if e.get("event") == name
                and (kind is None or e.get("kind") == kind)]


@dataclass(frozen=True)
class DangerousState:
    name: str
    description: str
    reached: Callable[[Evidence], bool]


def _cut_at(checkpoint: str) -> Callable[[Evidence], bool]:
    return lambda ev: any(e.kind == "power.cut_at_checkpoint" and e.action == "cut"
                          and e.params.get("checkpoint") == checkpoint for e in ev.timeline)


def _unanswered_redeem_accepted(ev: Evidence) -> bool:
    unanswered = {e.get("hash") for e in ev.events("tx-broadcast-unanswered", "redeem")}
    landed = {e.get("hash") for e in ev.events("tx-final", "redeem")} | \
        {e.get("hash") for e in ev.events("tx-reorged-out", "redeem")}
    return bool(unanswered & landed)


def _confirmed_redeem_reorged_out(ev: Evidence) -> bool:
    final: set[Any] = set()
    for e in ev.console:
        if e.get("kind") != "redeem":
            continue
        if e.get("event") == "tx-final":
            final.add(e.get("hash"))
        elif e.get("event") == "tx-reorged-out" and e.get("hash") in final:
            return True
    return False


def _cuts_uplink(kind: str) -> bool:
    try:
        return bool({Effect.CUTS_UPLINK, Effect.CUTS_POWER} & fault_class(kind).effects)
    except FaultError:
        return False


def _close_while_offline(ev: Evidence) -> bool:
    """A close step while a fault that cuts the uplink or the power was on (a restored
    backup's power cycle ends with its ``restored``)."""
    active: dict[str, int] = {}
    for e in ev.timeline:
        if e.action == "fire" and _cuts_uplink(e.kind):
            active[e.kind] = active.get(e.kind, 0) + 1
        elif e.action in ("heal", "restored") and active.get(e.kind):
            active[e.kind] -= 1
        elif e.action == "step" and e.kind == "close" and any(active.values()):
            return True
    return False


def _pulled_away_after_signing(ev: Evidence) -> bool:
    armed: set[Any] = set()
    for e in ev.timeline:
        if e.kind == "nfc.pull_away" and e.params.get("when") == "before-response":
            (armed.add if e.action == "fire" else armed.discard)(e.params.get("phone"))
        elif e.action == "step" and e.kind == "tap" and e.params.get("phone") in armed:
            return True
    return False


def _tap_while_full(ev: Evidence) -> bool:
    full = False
    for e in ev.timeline:
        if e.kind == "power.storage_full" and e.action in ("fire", "heal"):
            full = e.action == "fire"
        elif full and e.action == "step" and e.kind == "tap":
            return True
    return False


STATES: tuple[DangerousState, ...] = (
    DangerousState("cut-after-receipt-signed",
                   "a power cut between receipt-signed and receipt-persisted",
                   _cut_at("receipt-signed")),
    DangerousState("cut-after-redeem-signed",
                   "a power cut between redeem-signed and redeem-broadcast",
                   _cut_at("redeem-signed")),
    DangerousState("redeem-answer-lost",
                   "the node took a redeem but its answer was lost (the same bytes must go "
                   "again)", _unanswered_redeem_accepted),
    DangerousState("close-while-offline",
                   "the customer asked to close while the machine was offline or off",
                   _close_while_offline),
    DangerousState("confirmed-redeem-reorged-out",
                   "a reorg removed a redeem the machine had taken as final",
                   _confirmed_redeem_reorged_out),
    DangerousState("phone-left-after-signing",
                   "a phone pulled away after it signed, before its answer arrived",
                   _pulled_away_after_signing),
    DangerousState("restored-old-backup",
                   "the SD card was replaced by an old backup",
                   lambda ev: any(e.kind == "machine.restore_backup" and e.action == "restored"
                                  for e in ev.timeline)),
    DangerousState("tap-while-storage-full", "a phone paid while the SD card was full",
                   _tap_while_full),
)
NAMES = tuple(s.name for s in STATES)


def reached(evidence: Evidence) -> list[str]:
    """The names of the dangerous states this example reached."""
    return [s.name for s in STATES if s.reached(evidence)]
