"""Network faults against a real machine: firmware process, RPC proxy, anvil.

Every kind is fired through the fault catalog, its effect observed on the firmware (offline,
retries, the same bytes re-sent) and on the chain, and healing shown to bring the machine
back to a reconciled state: exactly one redeem per receipt, no nonce gap.
"""

from __future__ import annotations

import random
import time

import pytest
from eth_utils import keccak

from rig.faults import FaultError, make_fault
from rig.harness.machine_rig import MachineRig
from rig.platform.channels import channel_state
from tests.e2e.support import active, fault_ctx, idle

FAST_RPC = 0.2   # firmware rpc_timeout: a blackholed call gives up quickly


def _redeem_confirmed(m: MachineRig, cumulative: int, timeout: float = 30.0) -> dict:
    m.control.request("redeem")
    return m.wait_until(lambda s: s["view"]["redeemed"] == cumulative and not s["open_tx"],
                        timeout=timeout, what=f"redeemed {cumulative} and idle")


def _machine_txs(m: MachineRig, since_block: int) -> list[dict]:
    """Transactions the machine's key sent, in the canonical chain after ``since_block``."""
    me = m.platform.actors.machine.address.lower()
    out = []
    for n in range(since_block + 1, m.chain.block_number + 1):
        block = m.chain.rpc("eth_getBlockByNumber", hex(n), True)
        out += [tx for tx in block["transactions"] if tx["from"].lower() == me]
    return out


def _redeem_problems(m: MachineRig, since_block: int) -> list[str]:
    """What is wrong with the machine's on-chain transactions since ``since_block``."""
    selector = "0x" + keccak(text=m.platform.payments.functions.redeem.signature)[:4].hex()
    txs = _machine_txs(m, since_block)
    first = m.chain.w3.eth.get_transaction_count(m.platform.actors.machine.address,
                                                 since_block)
    nonces = [int(tx["nonce"], 16) for tx in txs]
    redeems = [tx["hash"] for tx in txs if tx["input"].startswith(selector)]
    problems = []
    if nonces != list(range(first, first + len(nonces))):
        problems.append(f"nonce gap or reuse: {nonces} from {first}")
    if len(redeems) != 1:
        problems.append(f"{len(redeems)} redeem transactions: {redeems}")
    return problems


def _served(m: MachineRig, n: int, product: int = 1) -> int:
    """Serve ``n`` coffees (phones in turn); the cumulative amount signed."""
    for i in range(n):
        out = m.tap(m.phones[i % len(m.phones)], product=product)
        assert out.verdict == "served", out
    return m.status()["latest"]["cumulative"]


# ---------------------------------------------------------------------- parameters
@pytest.mark.parametrize(("kind", "params", "message"), [
    ("net.blackhole", {"timeout_seconds": -1}, "timeout_seconds must be >= 0"),
    ("net.reset", {"duration": 0}, "duration must be > 0"),
    ("net.latency", {"ms": -5}, "ms must be >= 0"),
    ("net.latency", {"stream": "sideways"}, "stream must be one of"),
    ("net.bandwidth", {"bytes_per_second": 0}, "bytes_per_second must be >= 1"),
    ("net.response_lost", {"count": 0}, "count must be >= 1"),
    ("net.response_lost", {"method": ""}, "method must be one JSON-RPC method"),
    ("net.flapping", {"duty": 1.0}, r"duty \(the down share of a period\) must be in"),
    ("net.flapping", {"mode": "unplug"}, "mode must be one of blackhole, reset"),
    ("net.latency", {"ms": "slow"}, "parameter 'ms' must be float"),
])
def test_bad_parameters_are_refused_with_the_reason(kind, params, message):
    with pytest.raises(FaultError, match=f"{kind}: {message}"):
        make_fault(kind, params)


def test_flapping_phases_replay_from_the_seed():
    fault = make_fault("net.flapping", {"period_seconds": 2.0, "duty": 0.25})

    def phases(seed: int) -> list[tuple[float, float]]:
        rng = random.Random(seed)
        return [fault.phases(rng) for _ in range(20)]  # type: ignore[attr-defined]

    assert phases(5) == phases(5) != phases(6)
    assert all(0.25 <= down < 0.75 and 0.75 <= up < 2.25 for down, up in phases(5))


# ---------------------------------------------------------------------- against the machine
def test_blackhole_offline_coffees_then_redeemed_after_heal(machine_factory):
    m = machine_factory(rpc_timeout=FAST_RPC)
    idle(m)
    ctx = fault_ctx(m)
    sent = m.proxy.stats.method_count("forwarded", "eth_sendRawTransaction")
    with active(make_fault("net.blackhole"), ctx):
        m.wait_until(lambda s: not s["online"], mine=False, what="offline")
        cumulative = _served(m, 2)                      # coffee needs no uplink
        m.control.request("redeem")
        assert m.status()["view"]["redeemed"] == 0
        assert m.proxy.stats.event_count("silent") > 0
        assert m.proxy.stats.method_count("forwarded", "eth_sendRawTransaction") == sent
    _redeem_confirmed(m, cumulative)
    assert channel_state(m.platform, m.rental.channel_id).redeemed == cumulative


def test_reset_takes_the_firmware_offline_until_healed(machine_factory):
    m = machine_factory(rpc_timeout=FAST_RPC)
    idle(m)
    with active(make_fault("net.reset"), fault_ctx(m)):
        m.wait_until(lambda s: not s["online"], mine=False, what="offline")
        assert m.proxy.stats.event_count("reset") > 0
        cumulative = _served(m, 1)
    _redeem_confirmed(m, cumulative)


def test_latency_beyond_the_rpc_timeout_is_an_outage(machine_factory):
    m = machine_factory(rpc_timeout=FAST_RPC)
    idle(m)
    fault = make_fault("net.latency", {"ms": 3 * FAST_RPC * 1000, "jitter_ms": 100})
    with active(fault, fault_ctx(m)):
        m.wait_until(lambda s: not s["online"], mine=False, what="offline")
        cumulative = _served(m, 1)
    _redeem_confirmed(m, cumulative)


def test_bandwidth_a_thin_link_is_slow_but_never_wrong(machine_factory):
    m = machine_factory()
    idle(m)
    rate = 10_000
    fault = make_fault("net.bandwidth", {"bytes_per_second": rate})
    with active(fault, fault_ctx(m)):
        start = m.chain.block_number
        before, t0 = m.proxy.stats.bytes_delivered("downstream"), time.monotonic()
        cumulative = _served(m, 1)
        s = _redeem_confirmed(m, cumulative, timeout=60)   # redeemed through the thin link
        elapsed = time.monotonic() - t0
        delivered = m.proxy.stats.bytes_delivered("downstream") - before
        assert s["online"]
        assert delivered <= rate * elapsed + rate // 20  # never more than the link carries
    assert _redeem_problems(m, start) == []


def test_response_lost_the_outbox_resends_the_same_transaction(machine_factory):
    m = machine_factory()
    idle(m)
    start = m.chain.block_number
    sent = m.proxy.stats.method_count("forwarded", "eth_sendRawTransaction")
    fault = make_fault("net.response_lost", {"method": "eth_sendRawTransaction", "count": 1})
    with active(fault, fault_ctx(m)):
        cumulative = _served(m, 1)
        s = _redeem_confirmed(m, cumulative)
        assert fault.dropped() == 1  # type: ignore[attr-defined]
    (redeem,) = [t for t in s["outbox"] if t["kind"] == "redeem"]
    resent = m.proxy.stats.method_count("forwarded", "eth_sendRawTransaction") - sent
    assert resent >= 2   # the unanswered broadcast and at least one re-broadcast
    assert _redeem_problems(m, start) == []
    mined = m.chain.w3.eth.get_transaction_receipt(redeem["hash"])
    assert mined["status"] == 1


def test_response_lost_catches_firmware_that_signs_a_second_redeem(machine_factory):
    """The check above is not a tautology: firmware that re-signs on a lost answer fails it."""
    m = machine_factory(defects=("resign_redeem",))
    idle(m)
    start = m.chain.block_number
    fault = make_fault("net.response_lost", {"method": "eth_sendRawTransaction", "count": 1})
    with active(fault, fault_ctx(m)):
        _served(m, 1)
        m.control.request("redeem")
        m.wait_until(lambda s: sum(t["kind"] == "redeem" for t in s["outbox"]) == 2
                     and not s["open_tx"], what="both redeems final")
    assert any("2 redeem transactions" in p for p in _redeem_problems(m, start))


def test_flapping_link_coffees_served_and_reconciled_after_heal(machine_factory):
    m = machine_factory(rpc_timeout=FAST_RPC)
    idle(m)
    ctx = fault_ctx(m)
    fault = make_fault("net.flapping", {"period_seconds": 1.0, "duty": 0.5,
                                        "mode": "reset"})
    with active(fault, ctx):
        cumulative = _served(m, 2)
        deadline = time.monotonic() + 20
        while (sum(e.action == "down" for e in ctx.timeline.entries) < 2
               and time.monotonic() < deadline):
            time.sleep(0.1)
        actions = [e.action for e in ctx.timeline.entries]
    assert actions[:3] == ["down", "up", "down"]
    assert m.proxy.stats.event_count("reset") > 0          # the firmware's calls hit it
    assert not any(t.name == fault.kind for t in m.proxy.toxics)
    _redeem_confirmed(m, cumulative)
