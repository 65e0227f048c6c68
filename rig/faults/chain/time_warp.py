"""chain.time_warp — time jumps forward, on the chain and on the machine's clock alike."""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class TimeWarp(Fault):
    hardware = frozenset({"firmware_host"})
    kind = "chain.time_warp"
    effects = frozenset({Effect.MOVES_CHAIN_TIME})
    needs = frozenset({"time", "mine"})
    ends_on = frozenset()  # instantaneous
    notes = frozenset({"chain-only"})
    family = "chain"
    description = ("move chain time and the firmware's clock forward together by `seconds` "
                   "(days offline in an instant: redeem intervals and challenge periods run "
                   "out); time never goes back, so healing is nothing")
    seconds: int = 3600

    def __post_init__(self) -> None:
        self.require(self.seconds >= 1, f"seconds must be >= 1, got {self.seconds}")

    def fire(self, ctx: FaultContext) -> None:
        m = ctx.machine
        if m.powered:
            m.advance(self.seconds)
            return
        # A Pi without power has no clock to move: it reads the host's time when it boots.
        ctx.chain.increase_time(self.seconds)
        ctx.chain.mine()
        ctx.timeline.record(m, self.kind, "chain-only", self.params(),
                            note="the machine was off: only chain time moved")
