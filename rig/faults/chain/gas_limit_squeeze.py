"""chain.gas_limit_squeeze — blocks get a small gas limit: bigger transactions do not fit."""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register

DEFAULT_GAS_LIMIT = 30_000_000
MIN_GAS_LIMIT = 21_000


@register
@dataclass
class GasLimitSqueeze(Fault):
    hardware = frozenset()
    kind = "chain.gas_limit_squeeze"
    effects = frozenset({Effect.REFUSES_TRANSACTIONS})
    needs = frozenset({"gas_limit"})
    family = "chain"
    description = ("set the block gas limit to `gas_limit`: a transaction asking for more gas "
                   "is refused; heal restores the limit from before (30,000,000 by default)")
    gas_limit: int = 100_000

    def __post_init__(self) -> None:
        self.require(self.gas_limit >= MIN_GAS_LIMIT,
                     f"gas_limit must be >= {MIN_GAS_LIMIT} (a plain transfer), got "
                     f"{self.gas_limit}")

    def fire(self, ctx: FaultContext) -> None:
        if getattr(self, "_before", None) is None:
            self._before: int | None = ctx.chain.block_gas_limit()
        ctx.chain.set_block_gas_limit(self.gas_limit)

    def heal(self, ctx: FaultContext) -> None:
        ctx.chain.set_block_gas_limit(getattr(self, "_before", None) or DEFAULT_GAS_LIMIT)
        self._before = None
