"""chain.drop_tx — the node forgets the machine's pending transaction.

Automine goes off so the transaction waits in the pool; as soon as one from the machine
shows up (`which` = redeem: only a redeem), it is dropped and automine comes back on. Only
the machine can bring it back, by broadcasting the same signed bytes again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass

from eth_utils import keccak

from rig.chain.errors import ChainUnreachable
from rig.chain.node import Chain
from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.chain import mining
from rig.faults.context import FaultContext
from rig.faults.registry import register

WHICH = ("redeem", "any")
POLL_SECONDS = 0.02


@register
@dataclass
class DropTx(Fault):
    hardware = frozenset()
    kind = "chain.drop_tx"
    effects = frozenset({Effect.HOLDS_MINING})
    needs = frozenset({"automine", "automine_status", "txpool", "drop_tx", "mine"})
    ends_on = frozenset({"dropped", "miss", "heal"})
    family = "chain"
    description = ("hold mining, wait (up to `wait_seconds`) for a transaction from the "
                   "machine in the pool (`which`: redeem | any), drop it, mine again")
    which: str = "redeem"
    wait_seconds: float = 30.0

    def __post_init__(self) -> None:
        self.require(self.which in WHICH,
                     f"which must be one of {', '.join(WHICH)}, not {self.which!r}")
        self.require(self.wait_seconds > 0, f"wait_seconds must be > 0, got "
                                            f"{self.wait_seconds}")
        self.dropped: list[str] = []

    def fire(self, ctx: FaultContext) -> None:
        self.heal(ctx)
        mining.hold(ctx.chain)
        self._holding = True
        self._stop = threading.Event()
        watcher = Chain(ctx.chain.url)  # its own session: the test thread uses ctx.chain
        self._thread = threading.Thread(target=self._watch, args=(ctx, watcher, self._stop),
                                        name=self.kind, daemon=True)
        self._thread.start()

    def _wanted(self, ctx: FaultContext, tx: dict) -> bool:
        if self.which == "any":
            return True
        payments = ctx.machine.platform.payments
        selector = "0x" + keccak(text=payments.functions.redeem.signature)[:4].hex()
        return (str(tx.get("to") or "").lower() == payments.address.lower()
                and str(tx.get("input", "")).startswith(selector))

    def _watch(self, ctx: FaultContext, chain: Chain, stop: threading.Event) -> None:
        machine = ctx.machine.platform.actors.machine.address.lower()
        deadline = time.monotonic() + self.wait_seconds
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    pending = chain.txpool_content().get("pending", {})
                except ChainUnreachable:  # a chain.node_restart: watch on until it is back
                    stop.wait(POLL_SECONDS)
                    continue
                mine: dict[str, dict] = next((txs for sender, txs in pending.items()
                             if sender.lower() == machine), {})
                hit = next((tx for tx in mine.values() if self._wanted(ctx, tx)), None)
                if hit is not None:
                    chain.drop_transaction(hit["hash"])
                    self.dropped.append(hit["hash"])
                    ctx.timeline.record(ctx.machine, self.kind, "dropped", self.params(),
                                        note=f"{hit['hash']} (nonce {int(hit['nonce'], 16)})")
                    return
                stop.wait(POLL_SECONDS)
            if not stop.is_set():
                ctx.timeline.record(ctx.machine, self.kind, "miss", self.params(),
                                    note=f"no {self.which} transaction from the machine "
                                         f"within {self.wait_seconds}s")
        finally:
            self._resume(chain)

    def _resume(self, chain: Chain) -> None:
        """Let go of mining; if no other fault holds it, whatever others left in the pool
        meanwhile gets mined."""
        if not getattr(self, "_holding", False):
            return
        self._holding = False
        with contextlib.suppress(ChainUnreachable):  # a node coming back mines by itself
            if mining.release(chain) and chain.pending_hashes():
                chain.mine()

    def heal(self, ctx: FaultContext) -> None:
        stop, thread = getattr(self, "_stop", None), getattr(self, "_thread", None)
        if stop is not None and thread is not None:
            stop.set()
            thread.join(10)
        self._resume(ctx.chain)
