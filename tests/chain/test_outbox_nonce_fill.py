"""The firmware's outbox against a real node: a nonce its store does not remember (a
transaction signed after the backup the SD card was restored from) that a reorg took out of
the chain is filled, so the machine's own transactions behind it are mined again."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from firmware.chain.outbox import Outbox
from firmware.clock import Clock
from firmware.rigport import RigPort
from firmware.store import Store, TxState
from rig.platform import Platform

pytestmark = pytest.mark.needs("reorg")


def _transfer(w3: Web3, account: LocalAccount, nonce: int) -> bytes:
    """A signed zero-value transfer to the account itself: a transaction at ``nonce``."""
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    return bytes(account.sign_transaction({
        "to": account.address, "value": 0, "nonce": nonce, "gas": 21_000,
        "chainId": w3.eth.chain_id, "maxPriorityFeePerGas": 10**9,
        "maxFeePerGas": 3 * base + 10**9}).raw_transaction)


def _forgotten_then_reorged(platform: Platform, tmp_path: Path
                            ) -> tuple[Web3, Outbox, Store, int, bytes]:
    """The chain holds a transaction the store forgot (nonce n) and one the store holds
    (n + 1), mined and final; a reorg then drops both. Returns (w3, outbox, store, n, the
    forgotten transaction's bytes)."""
    chain, machine = platform.chain, platform.actors.machine
    w3 = Web3(Web3.HTTPProvider(chain.url))
    store = Store(tmp_path / "sd" / "machine.db")
    outbox = Outbox(w3, machine, store, RigPort(None, (), Clock()), w3.eth.chain_id, 1)
    n = w3.eth.get_transaction_count(machine.address, "latest")
    forgotten = _transfer(w3, machine, n)
    chain.wait(chain.send_raw(forgotten))
    kept = _transfer(w3, machine, n + 1)
    store.outbox_add("check_in", n + 1, Web3.keccak(kept).to_0x_hex(), kept, {})
    outbox.pump()      # broadcast: mined at once
    outbox.pump()      # mined, one confirmation: final
    assert [t.state for t in store.outbox()] == [TxState.CONFIRMED]
    chain.reorg(2)
    assert w3.eth.get_transaction_count(machine.address, "latest") == n
    return w3, outbox, store, n, forgotten


def test_a_forgotten_nonce_reorged_out_is_filled_and_the_kept_transaction_mined_again(
        platform: Platform, tmp_path: Path) -> None:
    w3, outbox, store, n, _ = _forgotten_then_reorged(platform, tmp_path)
    machine = platform.actors.machine.address

    outbox.pump()
    platform.chain.mine()
    outbox.pump()

    assert w3.eth.get_transaction_count(machine, "latest") == n + 2   # no gap left
    by_nonce = {t.nonce: t for t in store.outbox()}
    filler, kept = by_nonce[n], by_nonce[n + 1]
    assert (filler.kind, filler.state, kept.state) == ("nonce-fill", TxState.CONFIRMED,
                                                       TxState.CONFIRMED)
    mined = w3.eth.get_transaction(filler.tx_hash)
    assert (mined["to"], mined["value"], mined["nonce"]) == (machine, 0, n)


def test_a_filler_whose_nonce_the_forgotten_transaction_took_back_is_void(
        platform: Platform, tmp_path: Path) -> None:
    """Another node's pool may bring the forgotten transaction back first: the gap is then
    closed without the filler, which must not stay open for ever."""
    w3, outbox, store, n, forgotten = _forgotten_then_reorged(platform, tmp_path)
    chain = platform.chain
    chain.set_automine(False)
    try:
        outbox.pump()                                  # filler and kept one in the pool
        filler = next(t for t in store.outbox() if t.kind == "nonce-fill")
        chain.drop_transaction(filler.tx_hash)
        chain.send_raw(forgotten)                      # the forgotten one comes back
        chain.mine()
    finally:
        chain.set_automine(True)
    outbox.pump()
    outbox.pump()

    states = {t.kind: t.state for t in store.outbox()}
    assert states == {"nonce-fill": TxState.VOID, "check_in": TxState.CONFIRMED}
    assert w3.eth.get_transaction_count(platform.actors.machine.address, "latest") == n + 2
