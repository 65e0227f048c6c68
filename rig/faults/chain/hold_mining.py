"""chain.hold_mining — no block is mined: transactions wait in the pool until heal.

What a real chain's block time does to every transaction, stretched at will: a machine that
loses power while its transaction is in flight must come back knowing it sent it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.chain import mining
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class HoldMining(Fault):
    hardware = frozenset()
    kind = "chain.hold_mining"
    effects = frozenset({Effect.HOLDS_MINING})
    needs = frozenset({"automine", "automine_status", "mine"})
    notes = frozenset({"resumed", "released"})
    family = "chain"
    description = ("stop mining (automine off): sent transactions stay pending in the pool; "
                   "heal restores mining as it was and mines whatever is pending")

    def fire(self, ctx: FaultContext) -> None:
        if not getattr(self, "_holding", False):
            mining.hold(ctx.chain)
            self._holding = True

    def heal(self, ctx: FaultContext) -> None:
        if not getattr(self, "_holding", False):
            return
        self._holding = False
        if not mining.release(ctx.chain):
            ctx.timeline.record(ctx.machine, self.kind, "released", self.params(),
                                note="another fault still holds mining")
            return
        pending = ctx.chain.pending_hashes()
        if pending:
            ctx.chain.mine()
        ctx.timeline.record(ctx.machine, self.kind, "resumed", self.params(),
                            note=f"mining resumed; {len(pending)} pending transaction(s) mined")
