"""The cheap checks after every step of the property test, as plain functions of what the rig
can read in milliseconds (chain state, the firmware's status, the board's log, the timeline).

Each returns what is wrong (empty when nothing is), so the state machine only fetches the
facts and raises; the oracle (``rig.oracle``) does the full reconciliation at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rig.history import TimelineEntry
from rig.platform.channels import ChannelState


@dataclass(frozen=True)
class ChainBaseline:
    """The channel's on-chain state as last seen, and the most ever deposited."""

    redeemed: int = 0
    sequence: int = 0
    status: int = 0
    deposit: int = 0

    def after(self, now: ChannelState) -> ChainBaseline:
        return ChainBaseline(now.redeemed, now.sequence, now.status,
                             max(self.deposit, now.deposit))

    def forget_redeems(self) -> ChainBaseline:
        """After a reorg: redeems may legitimately be rolled back; deposits are protected."""
        return ChainBaseline(deposit=self.deposit)


def went_back(was: ChainBaseline, now: ChannelState) -> list[str]:
    """Redeemed cumulative, sequence and status never decrease (INV-5, step by step)."""
    return [f"{what} {a} -> {b}" for what, a, b in (
        ("redeemed", was.redeemed, now.redeemed),
        ("sequence", was.sequence, now.sequence),
        ("status", was.status, now.status)) if b < a]


def above_deposit(status: dict | None, deposited: int) -> str:
    """The machine's latest receipt within the most ever deposited (INV-6, step by step)."""
    latest = (status or {}).get("latest") or {}
    cumulative = latest.get("cumulative", 0)
    if cumulative <= deposited:
        return ""
    return (f"the machine's latest receipt (sequence {latest.get('sequence')}) has cumulative "
            f"{cumulative}, above the {deposited} ever deposited")


def dispensed_twice(brew_ids: Iterable[int]) -> list[int]:
    """Brew ids the board dispensed more than once."""
    return sorted(i for i, n in Counter(brew_ids).items() if n > 1)


def cut_since_power_on(entries: Sequence[TimelineEntry]) -> bool:
    """The timeline shows a power cut after the power last came on (e.g. a healed checkpoint
    cut whose watcher found its checkpoint later): the Pi being off is explained."""
    for e in reversed(entries):
        if e.kind.startswith("power.") and e.action == "cut":
            return True
        if (e.kind == "boot" and e.action == "step") or \
                (e.kind.startswith("power.") and e.action == "heal"):
            return False
    return False
