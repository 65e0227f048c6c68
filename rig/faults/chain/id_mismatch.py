"""chain.id_mismatch — the node reports another chain id: the firmware must send nothing.

A machine that signed for the chain it was configured for, on a node of another chain, would
at best waste its transactions and at worst have them replayed; it must refuse to send.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class ChainIdMismatch(Fault):
    hardware = frozenset()
    kind = "chain.id_mismatch"
    effects = frozenset({Effect.REFUSES_TRANSACTIONS})
    needs = frozenset({"set_chain_id"})
    family = "chain"
    description = ("the node reports chain id `chain_id` (default: its own + 1) instead of "
                   "its configured one; heal restores the original id")
    chain_id: int | None = None

    def __post_init__(self) -> None:
        self.require(self.chain_id is None or self.chain_id >= 1,
                     f"chain_id must be >= 1, got {self.chain_id}")

    def fire(self, ctx: FaultContext) -> None:
        current = ctx.chain.chain_id
        before = getattr(self, "_before", None)
        if before is None:
            before = current
            self._before: int | None = before
        other = self.chain_id if self.chain_id is not None else before + 1
        self.require(other != before,
                     f"chain_id {other} is the node's own id; pick another")
        ctx.chain.set_chain_id(other)

    def heal(self, ctx: FaultContext) -> None:
        before = getattr(self, "_before", None)
        if before is not None:
            ctx.chain.set_chain_id(before)
            self._before = None
