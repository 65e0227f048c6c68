"""power.cut_at_write / power.torn_write — the power dies during the k-th durable write."""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class PowerCutAtWrite(Fault):
    hardware = frozenset({"firmware_host", "storage_faults"})
    kind = "power.cut_at_write"
    # Counted off from arming: the cut at the k-th write is not on the timeline.
    effects = frozenset({Effect.CUTS_POWER})
    family = "power"
    description = ("cut the power during the k-th durable write (SQLite sync) from now: "
                   "none of that write's pending data reaches the card")
    k: int = 1

    torn = False

    def __post_init__(self) -> None:
        self.require(self.k >= 1, "k must be >= 1")

    def fire(self, ctx: FaultContext) -> None:
        ctx.machine.storage.arm_sdcard(cut_after_syncs=self.k, torn=self.torn)

    def heal(self, ctx: FaultContext) -> None:
        ctx.machine.storage.arm_sdcard()
        ctx.machine.strategy.transition("booted")


@register
@dataclass
class TornWrite(PowerCutAtWrite):
    kind = "power.torn_write"
    effects = frozenset({Effect.CUTS_POWER})
    description = ("cut the power during the k-th durable write from now, after half of its "
                   "last pending write reached the card (a torn sector)")
    torn = True
