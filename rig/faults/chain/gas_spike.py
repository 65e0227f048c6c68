"""chain.gas_spike — the base fee jumps by `factor`; transactions priced before it get stuck.

anvil sets the next block's base fee; after it the fee decays by EIP-1559 rules (about 1/8
per empty block), as a real spike does. Healing sets it back to what it was before.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class GasSpike(Fault):
    hardware = frozenset()
    kind = "chain.gas_spike"
    effects = frozenset({Effect.REFUSES_TRANSACTIONS})
    needs = frozenset({"base_fee"})
    notes = frozenset({"base-fee"})
    family = "chain"
    description = ("multiply the next block's base fee by `factor`: transactions whose max "
                   "fee is below it are refused; heal restores the fee from before")
    factor: float = 10.0

    def __post_init__(self) -> None:
        self.require(self.factor > 1, f"factor must be > 1, got {self.factor}")

    def fire(self, ctx: FaultContext) -> None:
        before = ctx.chain.next_base_fee()
        if getattr(self, "_before", None) is None:
            self._before: int | None = before
        spiked = max(1, int(before * self.factor))
        ctx.chain.set_next_base_fee(spiked)
        ctx.timeline.record(ctx.machine, self.kind, "base-fee", self.params(),
                            note=f"next block's base fee {before} -> {spiked} wei")

    def heal(self, ctx: FaultContext) -> None:
        before = getattr(self, "_before", None)
        if before is not None:
            ctx.chain.set_next_base_fee(before)
            self._before = None
