"""chain.reorg — the last `depth` blocks are replaced by empty ones: their transactions vanish.

anvil's reorg does not return the dropped transactions to the pool; only their senders can
bring them back, by broadcasting the same signed bytes again. A node that restarted with its
state reloaded (``chain.node_restart``) has no states below the block it came back at, so a
reorg reaching below that block is refused rather than wiping the contracts.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class ChainReorg(Fault):
    hardware = frozenset()
    kind = "chain.reorg"
    effects = frozenset({Effect.REORGS_CHAIN})
    needs = frozenset({"reorg"})
    ends_on = frozenset()  # instantaneous
    notes = frozenset({"dropped"})
    family = "chain"
    description = ("replace the last `depth` blocks with empty ones; their transactions are "
                   "gone until someone re-broadcasts them")
    depth: int = 1

    def __post_init__(self) -> None:
        self.require(self.depth >= 1, f"depth must be >= 1, got {self.depth}")
        self.dropped: list[str] = []   # hashes of the transactions the last fire removed

    def fire(self, ctx: FaultContext) -> None:
        # With the firmware's requests held, what the fault reads is what it drops, and no
        # transaction lands while anvil unwinds (rig/net/gate.py).
        with ctx.chain_quiet():
            self._reorg(ctx)

    def _reorg(self, ctx: FaultContext) -> None:
        chain = ctx.chain
        chain.settle_mining()     # a block still being mined would land on the reorged chain
        tip = chain.block_number
        self.require(self.depth <= tip,
                     f"depth {self.depth} reaches below genesis (the chain is at block {tip})")
        node = ctx.machine.anvil
        if node is not None and node.url.rstrip("/") == chain.url.rstrip("/"):
            deepest = node.deepest_reorg(tip)
            self.require(self.depth <= deepest,
                         f"depth {self.depth} reaches below block {node.restart_block}, where "
                         f"the node restarted with its state reloaded (chain.node_restart): it "
                         f"has no states before it, and a reorg there would wipe the "
                         f"contracts. The chain is at block {tip}; the deepest reorg allowed "
                         f"is {deepest}")
        dropped = []
        for number in range(tip - self.depth + 1, tip + 1):
            block = chain.block(number, full=True)
            dropped += [f"{tx['hash']} (from {tx['from']}, block {number})"
                        for tx in block["transactions"]]
        chain.reorg(self.depth)
        self.dropped = [d.split(" ", 1)[0] for d in dropped]
        ctx.timeline.record(ctx.machine, self.kind, "dropped", self.params(),
                            note="; ".join(dropped) or "no transactions in the dropped blocks")
