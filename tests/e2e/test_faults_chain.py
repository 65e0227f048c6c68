"""Chain faults against a real machine: firmware process, anvil, the platform's contracts.

Each kind is fired through the fault catalog while the machine has something at stake (a
redeem in flight or due), its effect observed on the firmware and the chain, and healing
shown to end in a reconciled state: the receipt redeemed exactly once, by the bytes the
firmware signed first, with no nonce gap. Faults that change node settings the snapshot
revert does not restore (chain id, gas limit, base fee, automine) heal in ``finally``.
The firmware's signer log also runs in process against the chain, to see which blocks it
asks the node for.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from web3 import HTTPProvider, Web3

from firmware.chain.abi import PAYMENT_PROVIDER
from firmware.chain.signers import SignerLog
from rig.chain.anvil import Anvil
from rig.chain.node import Chain, dev_account
from rig.faults import FaultError, make_fault
from rig.harness.assemble import build_machine
from rig.harness.machine_rig import MachineRig
from rig.platform import deploy_platform
from rig.platform.channels import channel_state
from rig.platform.rental import start_rental
from rig.scenario.needs import NODE_PROCESS
from tests.e2e.support import active, fault_ctx, idle


def _redeems(s: dict) -> list[dict]:
    return [t for t in s["outbox"] if t["kind"] == "redeem"]


def _settled(m: MachineRig, cumulative: int, timeout: float = 30.0) -> dict:
    m.control.request("redeem")
    return m.wait_until(lambda s: s["view"]["redeemed"] == cumulative and not s["open_tx"],
                        timeout=timeout, what=f"redeemed {cumulative} and idle")


def _synced_rounds(m: MachineRig, n: int) -> None:
    """Let the firmware finish ``n`` more sync rounds (no block mined meanwhile)."""
    for _ in range(n):
        m.wait_synced()


def _machine_txs(m: MachineRig, since_block: int) -> list[dict]:
    me = m.platform.actors.machine.address.lower()
    out = []
    for n in range(since_block + 1, m.chain.block_number + 1):
        block = m.chain.rpc("eth_getBlockByNumber", hex(n), True)
        out += [tx for tx in block["transactions"] if tx["from"].lower() == me]
    return out


def _redeem_hashes(m: MachineRig, since_block: int) -> list[str]:
    """The machine's redeem transactions in the canonical chain; asserts no nonce gap."""
    selector = "0x" + keccak(text=m.platform.payments.functions.redeem.signature)[:4].hex()
    txs = _machine_txs(m, since_block)
    first = m.chain.w3.eth.get_transaction_count(m.platform.actors.machine.address,
                                                 since_block)
    nonces = [int(tx["nonce"], 16) for tx in txs]
    assert nonces == list(range(first, first + len(nonces))), f"nonce gap: {nonces}"
    return [tx["hash"] for tx in txs if tx["input"].startswith(selector)]


def _tap(m: MachineRig, product: int = 1) -> int:
    out = m.tap(m.phones[0], product=product)
    assert out.verdict == "served", out
    return m.status()["latest"]["cumulative"]


# ---------------------------------------------------------------------- parameters
@pytest.mark.parametrize(("kind", "params", "message"), [
    ("chain.node_restart", {"down_seconds": -1}, "down_seconds must be >= 0"),
    ("chain.reorg", {"depth": 0}, "depth must be >= 1"),
    ("chain.drop_tx", {"which": "oldest"}, "which must be one of redeem, any"),
    ("chain.drop_tx", {"wait_seconds": 0}, "wait_seconds must be > 0"),
    ("chain.time_warp", {"seconds": 0}, "seconds must be >= 1"),
    ("chain.time_warp", {"seconds": 1.5}, "parameter 'seconds' must be int"),
    ("chain.gas_spike", {"factor": 1}, "factor must be > 1"),
    ("chain.gas_limit_squeeze", {"gas_limit": 20_999}, "gas_limit must be >= 21000"),
    ("chain.id_mismatch", {"chain_id": 0}, "chain_id must be >= 1"),
    ("chain.reorg", {"blocks": 2}, r"unknown parameter\(s\) \['blocks'\]"),
])
def test_bad_parameters_are_refused_with_the_reason(kind, params, message):
    with pytest.raises(FaultError, match=f"{kind}: {message}"):
        make_fault(kind, params)


# ---------------------------------------------------------------------- against the machine
def test_time_warp_runs_out_the_redeem_interval(machine_factory):
    m = machine_factory(redeem_interval=3600)
    idle(m)
    cumulative = _tap(m)
    _synced_rounds(m, 3)
    s = m.status()
    assert s["view"]["redeemed"] == 0 and _redeems(s) == []  # the hour has not run out
    before = m.chain.timestamp()
    make_fault("chain.time_warp", {"seconds": 3600}).fire(fault_ctx(m))
    assert m.chain.timestamp() >= before + 3600
    s = m.wait_until(lambda s: s["view"]["redeemed"] == cumulative and not s["open_tx"],
                     what="redeemed once the interval ran out")   # no request needed
    assert [t["meta"]["sequence"] for t in _redeems(s)] == [1]


def test_gas_spike_holds_the_redeem_until_the_fee_comes_back(machine_factory):
    m = machine_factory()
    idle(m)
    start = m.chain.block_number
    base = m.chain.w3.eth.get_block("latest")["baseFeePerGas"]
    factor = max(10.0, 2 * (3 * base + 10**9) / base)  # above the firmware's fee headroom
    ctx = fault_ctx(m)
    with active(make_fault("chain.gas_spike", {"factor": factor}), ctx):
        cumulative = _tap(m)
        m.control.request("redeem")
        m.wait_until(lambda s: _redeems(s), mine=False, what="redeem signed")
        _synced_rounds(m, 3)
        (redeem,) = _redeems(m.status())
        assert redeem["state"] == "signed"                 # refused by the node, kept
        assert m.chain.pending_hashes() == set() and _machine_txs(m, start) == []
    s = _settled(m, cumulative)
    assert [t["hash"] for t in _redeems(s)] == [redeem["hash"]]   # the same bytes
    assert _redeem_hashes(m, start) == [redeem["hash"]]


def test_gas_limit_squeeze_holds_the_redeem_until_healed(machine_factory):
    m = machine_factory()
    idle(m)
    start = m.chain.block_number
    fault = make_fault("chain.gas_limit_squeeze", {"gas_limit": 100_000})
    with active(fault, fault_ctx(m)):
        cumulative = _tap(m)
        m.control.request("redeem")
        m.wait_until(lambda s: _redeems(s), mine=False, what="redeem signed")
        _synced_rounds(m, 3)
        (redeem,) = _redeems(m.status())
        assert redeem["state"] == "signed"
        assert int(m.chain.node_info()["environment"]["gasLimit"], 16) == 100_000
    assert int(m.chain.node_info()["environment"]["gasLimit"], 16) == 30_000_000
    _settled(m, cumulative)
    assert _redeem_hashes(m, start) == [redeem["hash"]]


def test_chain_id_mismatch_no_transaction_is_sent(machine_factory):
    m = machine_factory()
    idle(m)
    start = m.chain.block_number
    own_id = m.chain.chain_id
    proxy = m.proxy.stats
    with active(make_fault("chain.id_mismatch"), fault_ctx(m)):
        assert m.chain.chain_id == own_id + 1
        m.wait_until(lambda s: not s["online"], mine=False, what="firmware refuses the node")
        sent = proxy.method_count("forwarded", "eth_sendRawTransaction")
        cumulative = _tap(m)
        m.control.request("redeem")
        asked = proxy.method_count("forwarded", "eth_chainId")
        m.wait_until(lambda s: proxy.method_count("forwarded", "eth_chainId") >= asked + 3,
                     mine=False, what="three more rounds against the wrong chain")
        assert proxy.method_count("forwarded", "eth_sendRawTransaction") == sent
        assert _redeems(m.status()) == [] and _machine_txs(m, start) == []
    assert m.chain.chain_id == own_id
    _settled(m, cumulative)
    assert len(_redeem_hashes(m, start)) == 1


def test_reorg_drops_the_redeem_and_the_firmware_resends_it(machine_factory):
    m = machine_factory(confirmations=3)
    idle(m)
    start = m.chain.block_number
    mark = m.control.mark()
    cumulative = _tap(m)
    m.control.request("redeem")
    mined = m.control.wait_for("redeem-mined", after=mark)
    m.mine()   # one block on top: still short of 3 confirmations
    depth = m.chain.block_number - mined.data["block"] + 1
    fault = make_fault("chain.reorg", {"depth": depth})
    fault.fire(fault_ctx(m))
    assert fault.dropped == [mined.data["hash"]]  # type: ignore[attr-defined]
    again = m.control.wait_for("redeem-mined", after=mined.seq)  # noticed, re-sent
    assert again.data["hash"] == mined.data["hash"] and again.data["block"] > mined.data["block"]
    s = _settled(m, cumulative)
    assert [t["hash"] for t in _redeems(s)] == [mined.data["hash"]]
    assert _redeem_hashes(m, start) == [mined.data["hash"]]
    assert channel_state(m.platform, m.rental.channel_id).redeemed == cumulative


def test_reorg_beyond_the_confirmation_depth_reopens_the_final_redeem(machine_factory):
    """Finding 2: the redeem is final (one confirmation), then a reorg three blocks deep
    removes it. The firmware sees its account's nonce fall below the final transaction's,
    re-sends the same bytes, and the next redeem follows without a nonce gap."""
    m = machine_factory(confirmations=1)
    idle(m)
    start = m.chain.block_number
    mark = m.control.mark()
    first = _tap(m)
    m.control.request("redeem")
    final = m.control.wait_for("redeem-confirmed", after=mark)
    m.mine(2)
    depth = m.chain.block_number - final.data["block"] + 1
    assert depth == 3                                 # beyond the depth the firmware trusts
    fault = make_fault("chain.reorg", {"depth": depth})
    fault.fire(fault_ctx(m))
    assert fault.dropped == [final.data["hash"]]  # type: ignore[attr-defined]
    again = m.control.wait_for("redeem-confirmed", after=final.seq)  # noticed, re-sent
    assert again.data["hash"] == final.data["hash"] and again.data["ok"]
    second = _tap(m, product=2)
    s = _settled(m, second)
    assert [(t["hash"] == final.data["hash"], t["state"]) for t in _redeems(s)] == [
        (True, "confirmed"), (False, "confirmed")]    # no second signature for receipt 1
    assert _redeem_hashes(m, start) == [t["hash"] for t in _redeems(s)]   # no nonce gap
    assert channel_state(m.platform, m.rental.channel_id).redeemed == second > first
    events = [json.loads(line) for line in m.pi.console.read_text().splitlines()
              if line.startswith("{")]
    (reorged,) = [e for e in events if e["event"] == "tx-reorged-out"]
    assert reorged["hash"] == final.data["hash"] and reorged["was"] == "confirmed"
    assert reorged["beyond_confirmations"] is True


def test_a_reorg_holds_what_the_machine_sends_meanwhile(machine_factory):
    """Finding 20: a transaction sent through the machine's uplink while the reorg read and
    unwound the chain landed on top of the removed blocks (their numbers read null for good)
    and was missing from the fault's record of what it dropped. The fault holds the
    machine's requests at its proxy. A client sending transfers through that proxy as fast
    as it can, across ten reorgs: the chain stays whole, and each transfer is in the chain,
    named as dropped, or waiting in the pool (sent after a reorg with a nonce read before
    it)."""
    m = machine_factory()
    idle(m)
    sender, to = dev_account(12), dev_account(13).address
    through = Web3(HTTPProvider(m.proxy.url))
    sent: list[str] = []
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            nonce = through.eth.get_transaction_count(sender.address, "pending")
            tx = sender.sign_transaction({"to": to, "value": 1, "gas": 21_000, "nonce": nonce,
                                          "gasPrice": 3 * through.eth.gas_price,
                                          "chainId": m.chain.chain_id})
            sent.append(through.eth.send_raw_transaction(tx.raw_transaction).to_0x_hex())

    client = threading.Thread(target=send, daemon=True)
    ctx, dropped = fault_ctx(m), set()
    client.start()
    try:
        for depth in (1, 2) * 5:
            m.chain.wait_blocks(depth + 1, timeout=10)     # the client's transfers mined
            fault = make_fault("chain.reorg", {"depth": depth})
            fault.fire(ctx)
            dropped |= set(fault.dropped)  # type: ignore[attr-defined]
    finally:
        stop.set()
        client.join(10)
    m.chain.settle_mining()
    assert [n for n in range(m.chain.block_number + 1)
            if m.chain.rpc("eth_getBlockByNumber", hex(n), False) is None] == []
    assert dropped, "no reorg dropped a transfer: the client was not sending"
    pool = m.chain.txpool_content()     # sent after a reorg, behind a nonce it dropped
    waiting = {tx["hash"] for part in pool.values() for by_nonce in part.values()
               for tx in by_nonce.values()}
    lost = [h for h in sent if h not in dropped | waiting
            and m.chain.rpc("eth_getTransactionReceipt", h) is None]
    assert lost == [], f"{len(lost)} transfer(s) neither in the chain nor named as dropped"


def test_drop_tx_the_firmware_resends_the_dropped_redeem(machine_factory):
    m = machine_factory()
    idle(m)
    start = m.chain.block_number
    ctx = fault_ctx(m)
    fault = make_fault("chain.drop_tx", {"which": "redeem", "wait_seconds": 20})
    with active(fault, ctx):
        cumulative = _tap(m)
        m.control.request("redeem")
        m.wait_until(lambda s: any(e.action == "dropped" for e in ctx.timeline.entries),
                     mine=False, what="the redeem dropped from the pool")
        assert m.chain.automine()                          # mining is back on
    (dropped,) = fault.dropped  # type: ignore[attr-defined]
    s = _settled(m, cumulative)
    assert [t["hash"] for t in _redeems(s)] == [dropped]   # re-sent: the same bytes, mined
    assert _redeem_hashes(m, start) == [dropped]


class _LogRanges(HTTPProvider):
    """A provider that records the block range of every eth_getLogs request."""

    def __init__(self, url: str):
        super().__init__(url)
        self.ranges: list[tuple[int, int]] = []

    def make_request(self, method, params):
        if method == "eth_getLogs":
            self.ranges.append((int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)))
        return super().make_request(method, params)


@pytest.mark.needs("reorg")
def test_signer_log_reads_only_new_blocks_and_forgets_what_a_reorg_removed(platform):
    """The firmware's signer view, in process against the chain: each round asks for the
    blocks after the last one read; a reorg of any depth (an authorisation, a revocation)
    is noticed by the last block's hash and the log is read again from block 0."""
    p, chain = platform, platform.chain
    channel = start_rental(p, delegates=False).channel_id
    provider = _LogRanges(chain.url)
    w3 = Web3(provider)
    signer_log = SignerLog(w3.eth.contract(address=p.payments.address, abi=PAYMENT_PROVIDER),
                           channel)
    a, b = (Account.from_key(keccak(text=f"signer {n}")) for n in "ab")

    def read() -> tuple[str, ...]:
        provider.ranges.clear()
        return signer_log.signers(w3.eth.get_block("latest"))

    def call(fn: str, signer) -> None:
        p.tx(p.actors.customer, getattr(p.payments.functions, fn)(channel, signer.address))

    call("authorizeSigner", a)
    assert read() == (a.address,) and provider.ranges == [(0, chain.block_number)] * 2
    seen = chain.block_number
    assert read() == (a.address,) and provider.ranges == []      # no new block: no request
    chain.mine(5)
    assert read() == (a.address,) and provider.ranges == [(seen + 1, seen + 5)] * 2
    call("authorizeSigner", b)
    chain.mine(4)
    assert read() == tuple(sorted((a.address, b.address)))
    assert all(start > seen for start, _ in provider.ranges)
    chain.reorg(5)          # deeper than any confirmation depth: b's authorisation is gone
    assert read() == (a.address,) and provider.ranges[0][0] == 0
    call("revokeSigner", a)
    assert read() == ()
    chain.reorg(1)          # the revocation is gone: a is a signer again
    assert read() == (a.address,) and provider.ranges[0][0] == 0
    chain.mine(1)
    assert read() == (a.address,) and provider.ranges[0][0] == chain.block_number


def test_node_restart_needs_a_node_the_rig_owns(machine_factory):
    m = machine_factory()
    with pytest.raises(FaultError, match="does not own the chain node"):
        make_fault("chain.node_restart").fire(fault_ctx(m))


@pytest.fixture
def own_node(tmp_path: Path, artifacts) -> Iterator[tuple[Anvil, object]]:
    """A node of this test's own: restarting the session's would end every other test."""
    node = Anvil(log_path=tmp_path / "anvil.log").start()
    try:
        yield node, deploy_platform(Chain(node.url), artifacts=artifacts,
                                    challenge_period=3600)
    finally:
        node.stop()


@pytest.fixture
def own_machine(own_node, tmp_path: Path, rng, request) -> Iterator[tuple[Anvil, MachineRig]]:
    """A machine rented on the test's own node, which faults may restart."""
    node, platform = own_node
    m = build_machine(tmp_path / "machine", platform, rng,  # type: ignore[arg-type]
                      request.config.getoption("--profile") or "emulated")
    m.anvil = node
    try:
        yield node, m
    finally:
        m.close()


@pytest.mark.needs(NODE_PROCESS)   # restarts its own anvil: never an attached node
def test_node_restart_firmware_reconnects_and_the_chain_kept_its_state(own_machine):
    node, m = own_machine
    idle(m)
    first = _tap(m)
    _settled(m, first)
    block = m.chain.block_number
    assert threading.current_thread() is threading.main_thread()
    make_fault("chain.node_restart", {"down_seconds": 0.5}).fire(fault_ctx(m))
    assert node.running() and m.chain.block_number == block      # state kept
    assert channel_state(m.platform, m.rental.channel_id).redeemed == first
    broken = (m.proxy.stats.event_count("upstream-closed")
              + m.proxy.stats.event_count("upstream-unreachable")
              + m.proxy.stats.event_count("bad-message"))
    assert broken > 0                                 # the firmware's links broke
    second = _tap(m, product=2)
    s = _settled(m, second)                           # and it carried on
    assert [t["state"] for t in _redeems(s)] == ["confirmed", "confirmed"]
    assert len(_redeem_hashes(m, 0)) == 2


@pytest.mark.needs(NODE_PROCESS)   # restarts its own anvil: never an attached node
def test_drop_tx_watches_on_through_a_node_restart(own_machine):
    _, m = own_machine
    ctx = fault_ctx(m)
    drop = make_fault("chain.drop_tx", {"which": "any", "wait_seconds": 3})
    drop.fire(ctx)
    make_fault("chain.node_restart", {"down_seconds": 0.5}).fire(ctx)
    drop._thread.join(10)  # type: ignore[attr-defined]
    assert not drop._thread.is_alive()  # type: ignore[attr-defined]
    assert [e.action for e in ctx.timeline.entries if e.kind == "chain.drop_tx"] == ["miss"]
    drop.heal(ctx)
    assert m.chain.automine()


@pytest.mark.needs(NODE_PROCESS)   # restarts its own anvil: never an attached node
def test_reorg_below_a_node_restart_is_refused_and_the_contracts_stay(own_machine):
    _, m = own_machine
    make_fault("chain.node_restart").fire(fault_ctx(m))
    restart = m.chain.block_number
    m.mine(2)
    with pytest.raises(FaultError, match=rf"chain.reorg: depth 3 reaches below block "
                                         rf"{restart}, where the node restarted .* the "
                                         rf"deepest reorg allowed is 2"):
        make_fault("chain.reorg", {"depth": 3}).fire(fault_ctx(m))
    assert m.chain.block_number == restart + 2                    # nothing happened
    make_fault("chain.reorg", {"depth": 2}).fire(fault_ctx(m))  # down to the restart
    payments = m.platform.payments.address
    assert m.chain.rpc("eth_getCode", payments, "latest") not in ("0x", "0x0")
    assert channel_state(m.platform, m.rental.channel_id).deposit > 0
