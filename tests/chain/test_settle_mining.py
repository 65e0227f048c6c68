"""A revert, rollback or reorg while anvil mines a block leaves the chain whole, and a revert
leaves nothing in the pool for the next test.

anvil 1.7.1 does not wait for the block its miner is building: that block lands on top of
the blocks the call removed, and their numbers read null for good (a whole test session's
later scans failed on block 15). The rig waits for the miner first (``Chain.settle_mining``).
A transaction that loops until its gas is spent keeps the miner busy long enough for the
call to land inside its block.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from rig.chain.node import Chain, dev_account

BURN = "0x5b600056"   # JUMPDEST PUSH1 0 JUMP: loops until its gas is spent
SENDER = 7


def _send(c: Chain, **fields: object) -> str:
    account = dev_account(SENDER)
    tx = account.sign_transaction({
        "to": None, "value": 0, "data": "0x", "gas": 21_000, "chainId": c.chain_id,
        "gasPrice": 2 * c.w3.eth.gas_price,
        "nonce": c.w3.eth.get_transaction_count(account.address, "pending"), **fields})
    return c.w3.eth.send_raw_transaction(tx.raw_transaction).to_0x_hex()


def _send_burning(c: Chain) -> str:
    limit = int(c.block()["gasLimit"], 16)
    return _send(c, data=BURN, gas=limit * 9 // 10)


def _holes(c: Chain) -> list[int]:
    return [n for n in range(c.block_number + 1)
            if c.rpc("eth_getBlockByNumber", hex(n), False) is None]


def _revert(c: Chain, snap: str) -> None:
    c.revert(snap)


def _rollback(c: Chain, snap: str) -> None:
    c.rollback(2)


def _reorg(c: Chain, snap: str) -> None:
    c.reorg(2)


@pytest.mark.needs("snapshot", "automine_status", "rollback", "reorg")
@pytest.mark.parametrize("pause", [0.002, 0.005, 0.01])
@pytest.mark.parametrize("undo", [_revert, _rollback, _reorg], ids=["revert", "rollback", "reorg"])
def test_undoing_blocks_while_one_is_mined_leaves_no_hole(
        isolated_chain: Chain, undo: Callable[[Chain, str], None], pause: float) -> None:
    c = isolated_chain
    snap = c.snapshot()
    c.mine(2)
    _send_burning(c)
    time.sleep(pause)              # the miner is executing the burning transaction
    undo(c, snap)
    c.settle_mining()              # whatever was in flight has landed
    assert _holes(c) == []


@pytest.mark.needs("snapshot", "automine", "txpool", "drop_tx")
def test_a_revert_leaves_nothing_in_the_pool_for_the_next_state(isolated_chain: Chain) -> None:
    """One held by automine off would be mined into the next test's first block; one queued
    behind a nonce gap once that test's sender reached its nonce."""
    c = isolated_chain
    snap = c.snapshot()
    base = c.block_number
    c.set_automine(False)
    nonce = c.w3.eth.get_transaction_count(dev_account(SENDER).address)
    held = _send(c, to=dev_account(SENDER + 1).address, value=1)
    gapped = _send(c, to=dev_account(SENDER + 1).address, value=2, nonce=nonce + 2)
    c.revert(snap)
    c.set_automine(True)
    assert c.txpool_content() == {"pending": {}, "queued": {}}
    c.mine(1)
    _send(c, to=dev_account(SENDER + 1).address, value=3, nonce=nonce)
    _send(c, to=dev_account(SENDER + 1).address, value=4, nonce=nonce + 1)
    c.settle_mining()
    assert c.block(base + 1)["transactions"] == []
    assert c.rpc("eth_getTransactionReceipt", held) is None
    assert c.rpc("eth_getTransactionReceipt", gapped) is None
