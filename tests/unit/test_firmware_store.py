"""The store's rules: the books balance, receipts only grow, brews and transactions only move
forward, and a corrupt file is refused with a clear error instead of being written to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from firmware.store import Brew, BrewState, Store, StoredReceipt, StoreError, TxState

SIG = b"\x01" * 65
PHONE = "0x" + "aa" * 20


def _receipt(sequence: int, cumulative: int, price: int, origin: str = "tap") -> StoredReceipt:
    return StoredReceipt(sequence, cumulative, price, SIG, PHONE, None, origin)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "sd" / "machine.db")
    s.boot()
    yield s
    s.close()


def _reopen(s: Store) -> Store:
    s.close()
    return Store(s.path)


# ---------------------------------------------------------------------- purchases

def test_a_paid_purchase_is_recorded_with_its_receipt(store):
    brew = store.record_purchase(1, 250, _receipt(1, 250, 250), 0)
    assert brew == Brew(brew.brew_id, 1, 250, 250, 0, 1, BrewState.PAID)
    (stored,) = store.receipts()
    assert stored == StoredReceipt(1, 250, 250, SIG, PHONE, brew.brew_id, "tap")
    assert store.latest_receipt() == stored
    assert store.brews() == [brew] and store.brews(BrewState.PAID) == [brew]


@pytest.mark.parametrize(("charge", "credit", "price"), [
    (200, 0, 250), (250, 10, 250), (0, 100, 250),
])
def test_payment_and_credit_must_sum_to_the_price(store, charge, credit, price):
    store.adopt_recovered(_receipt(1, 1000, 1000, "recovered"))   # a credit of 1000
    receipt = _receipt(2, 1000 + charge, charge) if charge else None
    with pytest.raises(StoreError, match=f"does not equal the price {price}"):
        store.record_purchase(1, price, receipt, credit)
    assert store.brews() == [] and store.credit_balance() == 1000
    assert store.latest_receipt().sequence == 1


@pytest.mark.parametrize(("price", "charge", "credit", "match"), [
    (0, 0, 0, "price must be > 0"),
    (-250, 0, -250, "price must be > 0"),
    (100, 150, -50, "credit used must be >= 0"),   # would *grant* 50 of credit
    (100, -50, 150, "charge must be > 0"),
])
def test_negative_or_zero_amounts_are_refused(store, price, charge, credit, match):
    store.adopt_recovered(_receipt(1, 1000, 1000, "recovered"))
    receipt = _receipt(2, 1000 + charge, charge) if charge else None
    with pytest.raises(StoreError, match=match):
        store.record_purchase(1, price, receipt, credit)
    assert store.credit_balance() == 1000 and store.brews() == []


def test_a_receipt_must_raise_the_cumulative_amount_by_its_charge(store):
    store.record_purchase(1, 250, _receipt(1, 250, 250), 0)
    with pytest.raises(StoreError, match="raises the cumulative amount by 300, but charges 250"):
        store.record_purchase(1, 250, _receipt(2, 550, 250), 0)
    assert [r.sequence for r in store.receipts()] == [1]


def test_credit_cannot_go_negative(store):
    with pytest.raises(StoreError, match="credit 100 exceeds the balance 0"):
        store.record_purchase(1, 100, None, 100)
    store.adopt_recovered(_receipt(1, 60, 60, "recovered"))
    with pytest.raises(StoreError, match="credit 100 exceeds the balance 60"):
        store.record_purchase(1, 100, None, 100)
    assert store.credit_balance() == 60 and store.brews() == []


def test_spending_credit_lowers_the_balance_and_records_the_brew(store):
    store.adopt_recovered(_receipt(1, 300, 300, "recovered"))
    brew = store.record_purchase(2, 250, None, 250)
    assert (brew.paid_by_receipt, brew.paid_by_credit, brew.sequence) == (0, 250, None)
    assert store.credit_balance() == 50
    mixed = store.record_purchase(2, 250, _receipt(2, 500, 200), 50)
    assert (mixed.paid_by_receipt, mixed.paid_by_credit, mixed.sequence) == (200, 50, 2)
    assert store.credit_balance() == 0


# ---------------------------------------------------------------------- receipts

@pytest.mark.parametrize(("sequence", "cumulative"), [
    (3, 250),    # cumulative does not grow
    (2, 400),    # sequence does not grow
    (0, 400),    # sequence goes back
    (3, 200),    # cumulative goes back
])
def test_a_recovered_receipt_must_extend_the_latest(store, sequence, cumulative):
    store.record_purchase(1, 250, _receipt(2, 250, 250), 0)
    expected = rf"#{sequence} \({cumulative}\) does not extend the latest #2 \(250\)"
    with pytest.raises(StoreError, match=expected):
        store.adopt_recovered(_receipt(sequence, cumulative, 100, "recovered"))
    assert [r.sequence for r in store.receipts()] == [2]
    assert store.credit_balance() == 0


@pytest.mark.parametrize("sequence", [2, 1])
def test_a_purchase_receipt_must_extend_the_latest(store, sequence):
    store.record_purchase(1, 250, _receipt(2, 250, 250), 0)
    with pytest.raises(StoreError, match=r"does not extend the latest #2 \(250\)"):
        store.record_purchase(1, 150, _receipt(sequence, 400, 150), 0)
    assert [r.sequence for r in store.receipts()] == [2]
    assert [b.sequence for b in store.brews()] == [2]


def test_a_stale_recovered_receipt_is_refused_and_grants_nothing(store):
    store.record_purchase(1, 250, _receipt(1, 250, 250), 0)
    with pytest.raises(StoreError, match="does not extend"):
        store.adopt_recovered(_receipt(1, 250, 250, "recovered"))
    assert store.credit_balance() == 0 and len(store.receipts()) == 1


def test_adopt_recovered_grants_the_difference_as_credit(store):
    store.record_purchase(1, 250, _receipt(1, 250, 250), 0)
    store.adopt_recovered(_receipt(3, 700, 450, "recovered"))
    assert store.credit_balance() == 450
    latest = store.latest_receipt()
    assert (latest.sequence, latest.cumulative, latest.origin, latest.brew_id) == \
        (3, 700, "recovered", None)
    # The next tap extends the recovered receipt, and may spend its credit.
    brew = store.record_purchase(1, 250, None, 250)
    assert brew.paid_by_credit == 250 and store.credit_balance() == 200


def test_adopt_recovered_on_an_empty_store_credits_the_whole_amount(store):
    store.adopt_recovered(_receipt(2, 800, 800, "recovered"))
    assert store.credit_balance() == 800


# ---------------------------------------------------------------------- brew states

@pytest.mark.parametrize("path", [
    [BrewState.DONE],
    [BrewState.CREDITED],
    [BrewState.STARTED, BrewState.DONE],
    [BrewState.STARTED, BrewState.CREDITED],
])
def test_brews_move_forward_to_a_final_state(store, path):
    brew = store.record_purchase(1, 250, _receipt(1, 250, 250), 0)
    for state in path:
        store.set_brew_state(brew.brew_id, state)
    assert [b.state for b in store.brews()] == [path[-1]]
    for again in BrewState:
        with pytest.raises(StoreError, match=f"is {path[-1]}; it cannot become {again}"):
            store.set_brew_state(brew.brew_id, again)
    assert [b.state for b in store.brews()] == [path[-1]]


def test_a_started_brew_cannot_go_back_to_paid(store):
    brew = store.record_purchase(1, 250, _receipt(1, 250, 250), 0)
    store.set_brew_state(brew.brew_id, BrewState.STARTED)
    with pytest.raises(StoreError, match="cannot become paid"):
        store.set_brew_state(brew.brew_id, BrewState.PAID)
    assert store.brews(BrewState.STARTED)[0].brew_id == brew.brew_id


def test_crediting_an_undispensed_brew_grants_its_price_exactly_once(store):
    store.adopt_recovered(_receipt(1, 100, 100, "recovered"))
    brew = store.record_purchase(1, 250, _receipt(2, 250, 150), 100)
    assert store.credit_balance() == 0
    store.set_brew_state(brew.brew_id, BrewState.CREDITED)
    assert store.credit_balance() == 250
    with pytest.raises(StoreError):
        store.set_brew_state(brew.brew_id, BrewState.CREDITED)
    assert store.credit_balance() == 250


def test_done_grants_no_credit(store):
    brew = store.record_purchase(1, 250, _receipt(1, 250, 250), 0)
    store.set_brew_state(brew.brew_id, BrewState.DONE)
    assert store.credit_balance() == 0


def test_an_unknown_brew_id_is_an_error(store):
    with pytest.raises(StoreError, match="unknown brew id 12345"):
        store.set_brew_state(12345, BrewState.DONE)


# ---------------------------------------------------------------------- brew ids

def test_brew_ids_are_unique_across_boots(store):
    ids = [store.record_purchase(1, 10, _receipt(1, 10, 10), 0).brew_id]
    assert store.peek_brew_id() == ids[0] + 1
    ids.append(store.record_purchase(1, 10, _receipt(2, 20, 10), 0).brew_id)
    # A crash and reboot: the per-boot counter restarts, the boot number does not.
    store = _reopen(store)
    try:
        assert store.boot() == 2
        ids.append(store.record_purchase(1, 10, _receipt(3, 30, 10), 0).brew_id)
        store.boot()
        ids.append(store.peek_brew_id())
        ids.append(store.record_purchase(1, 10, _receipt(4, 40, 10), 0).brew_id)
        assert ids[-1] == ids[-2]
        assert len(set(ids[:-1])) == 4
        assert [b.brew_id for b in store.brews()] == sorted(set(ids))
    finally:
        store.close()


def test_a_store_restored_from_a_backup_reuses_brew_ids_unless_resumed(store, tmp_path):
    """The boot counter lives on the card: restoring an old copy rewinds it."""
    store.record_purchase(1, 10, _receipt(1, 10, 10), 0)
    store.close()
    backup = tmp_path / "backup.db"
    backup.write_bytes(store.path.read_bytes())
    store = Store(store.path)
    store.boot()
    used = [store.record_purchase(1, 10, _receipt(s, 10 * s, 10), 0).brew_id for s in (2, 3)]
    store.close()
    store.path.write_bytes(backup.read_bytes())      # the restore
    store = Store(store.path)
    try:
        store.boot()
        assert store.peek_brew_id() in used           # the collision the board would hide
        nxt = store.resume_above(max(used))           # the board's high-water mark
        assert nxt > max(used)
        brew = store.record_purchase(1, 10, _receipt(2, 20, 10), 0)
        assert brew.brew_id == nxt
        assert store.resume_above(max(used)) == nxt + 1   # already above: unchanged
        store.close()
        store = Store(store.path)                         # and durable
        assert store.peek_brew_id() == nxt + 1
    finally:
        store.close()


@pytest.mark.parametrize("high_water", [0, 5, (1 << 32) | 1])
def test_resume_above_an_older_high_water_changes_nothing(store, high_water):
    store.record_purchase(1, 10, _receipt(1, 10, 10), 0)
    store.boot()
    store.boot()
    before = store.peek_brew_id()
    assert store.resume_above(high_water) == before


@pytest.mark.parametrize("high_water", [-1, "7", 1.0, True])
def test_resume_above_refuses_a_bad_high_water(store, high_water):
    before = store.peek_brew_id()
    with pytest.raises(StoreError, match="high-water mark must be an int >= 0"):
        store.resume_above(high_water)
    assert store.peek_brew_id() == before


def test_a_refused_purchase_does_not_use_up_a_brew_id(store):
    expected = store.peek_brew_id()
    with pytest.raises(StoreError):
        store.record_purchase(1, 250, _receipt(1, 250, 200), 0)
    assert store.record_purchase(1, 250, _receipt(1, 250, 250), 0).brew_id == expected


# ---------------------------------------------------------------------- outbox and meta

def test_outbox_entries_move_through_their_states(store):
    a = store.outbox_add("redeem", 0, "0xaa", b"\x02raw", {"sequence": 3})
    b = store.outbox_add("check_in", 1, "0xbb", b"\x02raw2", {"rental": 7})
    assert [(t.id, t.state) for t in store.outbox()] == [(a, TxState.SIGNED),
                                                          (b, TxState.SIGNED)]
    store.outbox_set(a, TxState.BROADCAST)
    store.outbox_set(a, TxState.MINED, 12)
    store.outbox_set(a, TxState.BROADCAST)          # reorged out: sent again
    store.outbox_set(a, TxState.MINED, 13)
    store.outbox_set(a, TxState.CONFIRMED, 13)
    store.outbox_set(b, TxState.FAILED, 14)
    (ta,) = store.outbox(TxState.CONFIRMED)
    assert (ta.kind, ta.nonce, ta.tx_hash, ta.raw, ta.block, ta.meta) == \
        ("redeem", 0, "0xaa", b"\x02raw", 13, {"sequence": 3})
    assert [t.id for t in store.outbox(TxState.SIGNED, TxState.BROADCAST, TxState.MINED)] == []
    assert [t.id for t in store.outbox(TxState.FAILED)] == [b]


@pytest.mark.parametrize("final", [TxState.CONFIRMED, TxState.FAILED])
def test_a_final_transaction_stays_final(store, final):
    tx = store.outbox_add("redeem", 0, "0xaa", b"raw", {})
    store.outbox_set(tx, final, 5)
    for state in TxState:
        if state is not final:
            with pytest.raises(StoreError, match=f"is final \\({final}\\)"):
                store.outbox_set(tx, state, 6)
    assert [(t.state, t.block) for t in store.outbox()] == [(final, 5)]


def test_an_unknown_transaction_id_is_an_error(store):
    with pytest.raises(StoreError, match="unknown outbox transaction id 99"):
        store.outbox_set(99, TxState.BROADCAST)


def test_a_reorg_reopens_mined_and_final_transactions_in_one_step(store):
    """A reorg deeper than the confirmation depth: final ones go back to BROADCAST too."""
    ids = [store.outbox_add("redeem", n, f"0x{n}", b"raw", {}) for n in range(5)]
    for tx_id, (state, block) in zip(ids, [(TxState.CONFIRMED, 3), (TxState.FAILED, 4),
                                           (TxState.CONFIRMED, 5), (TxState.MINED, 6),
                                           (TxState.BROADCAST, None)], strict=True):
        store.outbox_set(tx_id, state, block)
    assert [t.nonce for t in store.outbox(TxState.MINED, TxState.CONFIRMED, TxState.FAILED,
                                          min_nonce=1)] == [1, 2, 3]
    store.outbox_reopen(ids[1:4])
    assert [(t.state, t.block) for t in store.outbox()] == [
        (TxState.CONFIRMED, 3), *[(TxState.BROADCAST, None)] * 4]
    store.outbox_set(ids[1], TxState.CONFIRMED, 9)   # mined again, final again
    assert [t.id for t in store.outbox(TxState.CONFIRMED)] == [ids[0], ids[1]]


@pytest.mark.parametrize("state", [TxState.SIGNED, TxState.BROADCAST])
def test_a_transaction_never_mined_cannot_be_reorged_out(store, state):
    ok = store.outbox_add("redeem", 0, "0xaa", b"raw", {})
    store.outbox_set(ok, TxState.CONFIRMED, 5)
    tx = store.outbox_add("redeem", 1, "0xbb", b"raw", {})
    store.outbox_set(tx, state)
    with pytest.raises(StoreError, match=f"is {state}, never mined"):
        store.outbox_reopen([ok, tx])
    assert [t.state for t in store.outbox()] == [TxState.CONFIRMED, state]  # all or nothing
    with pytest.raises(StoreError, match="unknown outbox transaction id 99"):
        store.outbox_reopen([99])


def test_meta_values_survive_a_reopen(store):
    store.set("channel_view", {"deposit": 10, "signers": ["0xab"]})
    store = _reopen(store)
    try:
        assert store.get("channel_view") == {"deposit": 10, "signers": ["0xab"]}
        assert store.get("missing", "default") == "default"
    finally:
        store.close()


def test_everything_survives_a_reopen(store):
    store.adopt_recovered(_receipt(1, 100, 100, "recovered"))
    brew = store.record_purchase(1, 250, _receipt(2, 250, 150), 100)
    store.set_brew_state(brew.brew_id, BrewState.CREDITED)
    store.outbox_add("redeem", 4, "0xcc", b"raw", {"sequence": 2})
    before = (store.receipts(), store.brews(), store.credit_balance(), store.outbox())
    store = _reopen(store)
    try:
        assert (store.receipts(), store.brews(), store.credit_balance(), store.outbox()) == \
            before
    finally:
        store.close()


# ---------------------------------------------------------------------- corruption

def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "machine.db"
    path.write_bytes(bytes(range(256)) * 32)
    with pytest.raises(StoreError, match="not a usable store") as info:
        Store(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == bytes(range(256)) * 32  # nothing written to it


def _page_of(path: Path, table: str) -> tuple[int, int]:
    conn = apsw.Connection(str(path))
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                            (table,)).fetchone()[0]
        return page_size, root
    finally:
        conn.close()


def _filled(tmp_path: Path) -> Path:
    s = Store(tmp_path / "machine.db")
    s.boot()
    for i in range(1, 21):
        s.record_purchase(1, 10, _receipt(i, 10 * i, 10), 0)
    s.set("note", "x" * 100)
    s.close()
    return s.path


def test_a_damaged_index_fails_the_integrity_check(tmp_path):
    path = _filled(tmp_path)
    page_size, root = _page_of(path, "sqlite_autoindex_meta_1")
    data = bytearray(path.read_bytes())
    page = (root - 1) * page_size
    # The index's cells are at the end of its page: scribble over their keys.
    data[page + page_size - 40: page + page_size] = b"\x00" * 40
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"integrity check failed.*missing from index") as info:
        Store(path)
    assert str(path) in str(info.value)


def test_a_damaged_btree_page_is_a_store_error(tmp_path):
    path = _filled(tmp_path)
    page_size, root = _page_of(path, "receipts")
    data = bytearray(path.read_bytes())
    page = (root - 1) * page_size
    data[page: page + 12] = b"\xff" * 12      # the b-tree page header
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"not a usable store \(CorruptError") as info:
        Store(path)
    assert str(path) in str(info.value)


class _Impatient(apsw.Connection):
    """Gives up on a lock at once (the store waits 5 s for one)."""

    def set_busy_timeout(self, milliseconds: int) -> None:
        super().set_busy_timeout(0)


def test_a_locked_store_is_named_as_locked_not_corrupt(tmp_path, monkeypatch):
    first = Store(tmp_path / "machine.db")
    first.boot()   # the exclusive lock is held from the first write on
    try:
        monkeypatch.setattr(apsw, "Connection", _Impatient)
        with pytest.raises(StoreError, match="locked by another connection"):
            Store(first.path)
        monkeypatch.undo()
        assert first.boot() == 2   # the owner is undisturbed
    finally:
        first.close()
