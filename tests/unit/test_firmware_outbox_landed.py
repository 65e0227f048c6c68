"""The outbox knows which receipts already went through: a view read after a reorg the
outbox has not seen yet must not make the machine sign a second redeem for a receipt."""

from __future__ import annotations

from pathlib import Path

from eth_account import Account
from web3 import Web3

from firmware.chain.outbox import Outbox
from firmware.clock import Clock
from firmware.rigport import RigPort
from firmware.store import Store, TxState


def _outbox(tmp_path: Path) -> tuple[Outbox, Store]:
    store = Store(tmp_path / "sd" / "machine.db")
    # Nothing here talks to a node: the provider is never asked.
    w3 = Web3(Web3.HTTPProvider("http://127.0.0.1:9"))
    return Outbox(w3, Account.create(), store, RigPort(None, (), Clock()), 31337, 2), store


def test_a_confirmed_redeem_has_landed_for_its_receipt_only(tmp_path: Path) -> None:
    outbox, store = _outbox(tmp_path)
    tx = store.outbox_add("redeem", 1, "0xaa", b"\x02raw", {"sequence": 2,
                                                            "cumulative": 350_000})
    assert not outbox.landed("redeem", 2)            # signed, not yet in a block
    store.outbox_set(tx, TxState.BROADCAST)
    store.outbox_set(tx, TxState.MINED, block=24)
    assert not outbox.landed("redeem", 2)            # mined, not yet final
    store.outbox_set(tx, TxState.CONFIRMED, block=24)
    assert outbox.landed("redeem", 2)
    assert not outbox.landed("redeem", 3) and not outbox.landed("check_in", 2)


def test_a_reverted_redeem_has_not_landed(tmp_path: Path) -> None:
    outbox, store = _outbox(tmp_path)
    tx = store.outbox_add("redeem", 1, "0xaa", b"\x02raw", {"sequence": 2})
    store.outbox_set(tx, TxState.FAILED, block=24)
    assert not outbox.landed("redeem", 2)
