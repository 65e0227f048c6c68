"""chain.node_restart — the chain node goes down and comes back on the same port, state kept."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rig.chain.anvil import Anvil
from rig.effects import Effect
from rig.faults.base import Fault, FaultError
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class NodeRestart(Fault):
    hardware = frozenset()
    kind = "chain.node_restart"
    effects = frozenset({Effect.RESTARTS_NODE})
    needs = frozenset({"node_process"})
    ends_on = frozenset({"restarted", "heal"})
    family = "chain"
    description = ("stop the chain node (its state dumped), keep it down `down_seconds`, start "
                   "it again on the same port with that state: every connection breaks")
    down_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.require(self.down_seconds >= 0,
                     f"down_seconds must be >= 0, got {self.down_seconds}")

    def _node(self, ctx: FaultContext) -> Anvil:
        anvil = ctx.machine.anvil
        if anvil is None:
            raise FaultError(f"{self.kind}: the rig does not own the chain node "
                             f"({ctx.chain.url}): MachineRig.anvil is None. Run against an "
                             "anvil the rig started and set MachineRig(anvil=...)")
        if anvil.url.rstrip("/") != ctx.chain.url.rstrip("/"):
            raise FaultError(f"{self.kind}: MachineRig.anvil listens on {anvil.url} but the "
                             f"machine's chain is {ctx.chain.url}")
        if threading.current_thread() is not threading.main_thread():
            raise FaultError(f"{self.kind}: fire and heal from the main thread: the restarted "
                             "node is owned by the thread that spawns it and would die with "
                             "this one")
        return anvil

    def fire(self, ctx: FaultContext) -> None:
        node = self._node(ctx)
        node.restart(keep_state=True, down_seconds=self.down_seconds)
        ctx.timeline.record(ctx.machine, self.kind, "restarted", self.params(),
                            note=f"the node is back at block {node.restart_block}")

    def heal(self, ctx: FaultContext) -> None:
        anvil = self._node(ctx)
        if not anvil.running():  # fire failed half-way: bring it back from its dump
            anvil.restart(keep_state=True)
