"""A sync round that straddles a heal must not pass for a fresh one.

The schedule behind it (``close-while-offline-inside-window``): the uplink is cut, the
customer requests the close, the uplink is healed, the scenario waits for ``synced`` and then
settles. A round that read the chain's head *before* the close and finished *after* the heal
reported ``synced`` with the channel still open; the wait took it, the scenario settled at
once, and the machine never redeemed (INV-2/3/7 violated, or INV-7 undecided when the settle
came too soon for the oracle to see the machine online for a sync interval).

Here the round is held deterministically: a gate on the proxy keeps the firmware's first
``eth_call`` of a round (the channel read, made after it read the head block) until the close
is mined, so the round's data predate the close while it completes after it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field

from rig.harness.machine_rig import MachineRig
from rig.net.toxics.base import UPSTREAM, Message, Send, Toxic
from rig.platform.channels import ChannelState
from tests.e2e.support import idle

SLOW_RPC = 10.0   # the held call must not time out in the firmware while the gate is shut


@dataclass(kw_only=True, eq=False)
class HoldCalls(Toxic):
    """Holds ``eth_call`` requests on their way to the node until ``opened`` is set."""

    kind = "hold-calls"
    description = "hold eth_call requests until the gate opens"
    default_stream = UPSTREAM
    holding: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        if "eth_call" in msg.methods:
            self.holding.set()
            while not self.opened.is_set():
                await asyncio.sleep(0.005)
        await send(data)


def _close(m: MachineRig) -> None:
    p, a = m.platform, m.platform.actors
    p.tx(a.customer, p.payments.functions.requestClose(m.rental.channel_id))


def test_a_round_that_read_the_chain_before_the_close_is_not_taken_as_synced_after_it(
        machine_factory) -> None:
    m = machine_factory(rpc_timeout=SLOW_RPC)
    idle(m)
    gate = HoldCalls()
    m.proxy.add_toxic(gate)
    try:
        assert gate.holding.wait(10.0), "the firmware made no eth_call within 10 s"
        _close(m)                                  # mined while the round is held
        m.proxy.remove_toxic(gate)
        gate.opened.set()
        synced = m.wait_synced(timeout=30.0)
    finally:
        gate.opened.set()
        m.proxy.remove_toxic(gate)
    assert synced.data["status"] == ChannelState.CLOSING, (
        f"wait_synced returned a round whose chain data predate the close: {synced.data}")


def test_a_dead_uplink_is_seen_in_one_round_not_hidden_by_retries(machine_factory) -> None:
    """web3's HTTPProvider retries a failed call five times with back-off by default, so one
    round over a dead link took ~7 s at a 1 s rpc_timeout and the machine never reported
    going offline during short outages. Each call must be tried once per round: the
    firmware's own rounds are its retries."""
    m = machine_factory()
    idle(m)
    m.set_online(False)
    try:
        m.wait_until(lambda s: not s["online"], timeout=30.0, mine=False,
                     what="the firmware reports the chain offline")
    finally:
        m.set_online(True)
    went_offline = next(e["t"] for e in _console(m) if e["event"] == "chain-offline")
    swallowed = [e for e in m.proxy.stats.entries("silent") if e.at < went_offline]
    assert len(swallowed) == 1, (
        f"the firmware sent {len(swallowed)} requests into the dead link before it reported "
        f"the chain offline: {[e.detail for e in swallowed]}")


def _console(m: MachineRig) -> list[dict]:
    return [json.loads(line) for line in (m.workdir / "console.jsonl").read_text().splitlines()
            if line.strip()]
