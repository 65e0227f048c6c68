"""SQLite (through apsw) as the machine's durable store.

Every state change the payment path depends on is one transaction, committed with
``synchronous=FULL`` before the next step (persist before brew). The store runs in
``journal_mode=PERSIST`` with an exclusive lock: one process owns the SD card, and a commit
is a fixed sequence of writes and syncs that survives power loss at any point.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import apsw

from firmware.store.records import Brew, BrewState, OutboxTx, StoredReceipt, TxState

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS receipts (
    sequence INTEGER PRIMARY KEY, cumulative TEXT NOT NULL, price TEXT NOT NULL,
    signature BLOB NOT NULL, signer TEXT NOT NULL, brew_id INTEGER, origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS brews (
    brew_id INTEGER PRIMARY KEY, product INTEGER NOT NULL, price TEXT NOT NULL,
    by_receipt TEXT NOT NULL, by_credit TEXT NOT NULL, sequence INTEGER, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credits (
    id INTEGER PRIMARY KEY AUTOINCREMENT, delta TEXT NOT NULL, reason TEXT NOT NULL,
    ref INTEGER);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, nonce INTEGER NOT NULL,
    tx_hash TEXT NOT NULL, raw BLOB NOT NULL, state TEXT NOT NULL, block INTEGER,
    meta TEXT NOT NULL);
"""


class StoreError(RuntimeError):
    """The store is corrupt or an update broke one of its rules."""


# A brew only moves forward; DONE and CREDITED are final (a credit is granted exactly once).
_BREW_NEXT = {
    BrewState.PAID: {BrewState.STARTED, BrewState.DONE, BrewState.CREDITED},
    BrewState.STARTED: {BrewState.DONE, BrewState.CREDITED},
    BrewState.DONE: set(),
    BrewState.CREDITED: set(),
}
_TX_IN_A_BLOCK = (TxState.MINED, TxState.CONFIRMED, TxState.FAILED)
_TX_FINAL = (TxState.CONFIRMED, TxState.FAILED, TxState.VOID)


class Store:
    """Thread-safe: the payment, chain and sensor loops share one connection."""

    def __init__(self, path: Path, *, sync: bool = True):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = apsw.Connection(str(path))
        try:
            self._open(sync)
        except apsw.BusyError as e:
            self._db.close()
            raise StoreError(f"{path}: locked by another connection; one process owns the "
                             "store") from e
        except apsw.Error as e:
            self._db.close()
            raise StoreError(f"{path}: not a usable store ({type(e).__name__}: {e}); move "
                             "it aside and restore from a backup") from e
        except StoreError:
            self._db.close()
            raise

    def _open(self, sync: bool) -> None:
        self._db.set_busy_timeout(5000)
        list(self._db.execute("PRAGMA journal_mode=PERSIST"))
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._db.execute(f"PRAGMA synchronous={'FULL' if sync else 'OFF'}")
        # Checked before the schema is written: nothing is added to a corrupt file.
        problems = list(self._db.execute("PRAGMA integrity_check"))
        if problems != [("ok",)]:
            raise StoreError(f"{self.path}: integrity check failed: {problems[:3]}; move it "
                             "aside and restore from a backup")
        with self.tx():
            self._db.execute(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[apsw.Connection]:
        """One atomic, durable step."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: object) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: object) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ meta
    def get(self, key: str, default: object = None) -> object:
        row = self._one("SELECT value FROM meta WHERE key = ?", key)
        return json.loads(row[0]) if row else default

    def get_int(self, key: str, default: int = 0) -> int:
        """A counter kept in meta: ``int()`` of its stored value, ``default`` when unset."""
        row = self._one("SELECT value FROM meta WHERE key = ?", key)
        return int(json.loads(row[0])) if row else default

    def put(self, db: apsw.Connection, key: str, value: object) -> None:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                   (key, json.dumps(value)))

    def set(self, key: str, value: object) -> None:
        with self.tx() as db:
            self.put(db, key, value)

    def boot(self) -> int:
        """Count this boot durably; brew ids embed it so they never repeat after a crash."""
        with self.tx() as db:
            n = self.get_int("boots") + 1
            self.put(db, "boots", n)
            self.put(db, "brews_this_boot", 0)
        return n

    def peek_brew_id(self) -> int:
        """The id the next recorded purchase will get (not reserved)."""
        boots = self.get_int("boots")
        return (boots << 32) | (self.get_int("brews_this_boot") + 1)

    def resume_above(self, high_water: int) -> int:
        """Make every future brew id exceed ``high_water`` (the brew board's STATUS).

        A store restored from a backup, or a new card, has an older boot counter: it would
        hand out ids the board already accepted, and the board never brews an id twice.
        Returns the next brew id."""
        if isinstance(high_water, bool) or not isinstance(high_water, int) or high_water < 0:
            raise StoreError(f"brew board high-water mark must be an int >= 0, "
                             f"got {high_water!r}")
        with self.tx() as db:
            if self.peek_brew_id() <= high_water:
                self.put(db, "boots", (high_water >> 32) + 1)
                self.put(db, "brews_this_boot", 0)
        return self.peek_brew_id()

    def _next_brew_id(self, db: apsw.Connection) -> int:
        boots = self.get_int("boots")
        n = self.get_int("brews_this_boot") + 1
        self.put(db, "brews_this_boot", n)
        return (boots << 32) | n

    # ------------------------------------------------------------------ receipts
    def latest_receipt(self) -> StoredReceipt | None:
        row = self._one("SELECT sequence, cumulative, price, signature, signer, brew_id, origin "
                        "FROM receipts ORDER BY sequence DESC LIMIT 1")
        return _receipt(row) if row else None

    def receipts(self) -> list[StoredReceipt]:
        return [_receipt(r) for r in self._all(
            "SELECT sequence, cumulative, price, signature, signer, brew_id, origin "
            "FROM receipts ORDER BY sequence")]

    def _insert_receipt(self, db: apsw.Connection, r: StoredReceipt) -> None:
        latest = self.latest_receipt()
        if latest is not None and (r.sequence <= latest.sequence
                                   or r.cumulative <= latest.cumulative):
            raise StoreError(f"receipt #{r.sequence} ({r.cumulative}) does not extend the "
                             f"latest #{latest.sequence} ({latest.cumulative})")
        db.execute("INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (r.sequence, str(r.cumulative), str(r.price), r.signature, r.signer,
                    r.brew_id, r.origin))

    # ------------------------------------------------------------------ purchases
    def record_purchase(self, product: int, price: int, receipt: StoredReceipt | None,
                        credit_used: int) -> Brew:
        """Durably record a paid coffee (receipt and/or credit) and allocate its brew id."""
        charged = receipt.price if receipt else 0
        if price <= 0:
            raise StoreError(f"purchase of product {product}: price must be > 0, got {price}")
        if receipt is not None and charged <= 0:
            raise StoreError(f"receipt #{receipt.sequence}: its charge must be > 0, "
                             f"got {charged}")
        if credit_used < 0:
            raise StoreError(f"purchase of product {product}: credit used must be >= 0, "
                             f"got {credit_used}")
        if charged + credit_used != price:
            raise StoreError(f"payment {charged} + credit {credit_used} does not equal the "
                             f"price {price}")
        with self.tx() as db:
            balance = self.credit_balance()
            if credit_used > balance:
                raise StoreError(f"credit {credit_used} exceeds the balance {balance}")
            if receipt is not None:
                latest = self.latest_receipt()
                step = receipt.cumulative - (latest.cumulative if latest else 0)
                if step != charged:
                    raise StoreError(f"receipt #{receipt.sequence} raises the cumulative "
                                     f"amount by {step}, but charges {charged}")
            brew_id = self._next_brew_id(db)
            if receipt is not None:
                self._insert_receipt(db, dataclasses.replace(receipt, brew_id=brew_id))
            if credit_used:
                db.execute("INSERT INTO credits(delta, reason, ref) VALUES (?, 'spent', ?)",
                           (str(-credit_used), brew_id))
            brew = Brew(brew_id, product, price, receipt.price if receipt else 0, credit_used,
                        receipt.sequence if receipt else None, BrewState.PAID)
            db.execute("INSERT INTO brews VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (brew.brew_id, product, str(price), str(brew.paid_by_receipt),
                        str(credit_used), brew.sequence, brew.state.value))
        return brew

    def adopt_recovered(self, receipt: StoredReceipt) -> int:
        """A receipt a phone signed that the machine lost. What it adds is owed back as a
        credit, except the part that pays for coffees the board made that the store forgot
        (``unrecorded_dispensed``, from the boot's board sync). Returns the credit granted."""
        with self.tx() as db:
            latest = self.latest_receipt()
            added = receipt.cumulative - (latest.cumulative if latest else 0)
            served = min(added, self.get_int("unrecorded_dispensed"))
            self._insert_receipt(db, receipt)
            self.put(db, "unrecorded_dispensed",
                     self.get_int("unrecorded_dispensed") - served)
            if added - served:
                db.execute("INSERT INTO credits(delta, reason, ref) VALUES (?, 'recovered', ?)",
                           (str(added - served), receipt.sequence))
            return added - served

    def force_latest(self, receipt: StoredReceipt) -> None:
        """Make ``receipt`` the latest, dropping newer ones. Only the rig's switchable defect
        ``accept_stale_receipt`` calls this: a correct machine never moves backwards."""
        with self.tx() as db:
            db.execute("DELETE FROM receipts WHERE sequence >= ?", (receipt.sequence,))
            db.execute("INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (receipt.sequence, str(receipt.cumulative), str(receipt.price),
                        receipt.signature, receipt.signer, receipt.brew_id, receipt.origin))

    def grant_extra_credit(self, value: int, brew_id: int) -> None:
        """Owe ``value`` again for brew ``brew_id``, outside its state machine. Only the rig's
        switchable defect ``credit_granted_twice`` calls this: a correct machine credits a
        brew exactly once, through ``set_brew_state``."""
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise StoreError(f"credit for brew {brew_id} must be an int > 0, got {value!r}")
        with self.tx() as db:
            db.execute("INSERT INTO credits(delta, reason, ref) VALUES (?, 'undispensed', ?)",
                       (str(value), brew_id))

    # ------------------------------------------------------------------ brews
    def set_brew_state(self, brew_id: int, state: BrewState) -> None:
        with self.tx() as db:
            row = db.execute("SELECT state, price FROM brews WHERE brew_id = ?",
                             (brew_id,)).fetchone()
            if row is None:
                raise StoreError(f"unknown brew id {brew_id}")
            old = BrewState(row[0])
            if state not in _BREW_NEXT[old]:
                raise StoreError(f"brew {brew_id} is {old}; it cannot become {state} "
                                 f"(allowed: {sorted(_BREW_NEXT[old]) or 'none, final'})")
            db.execute("UPDATE brews SET state = ? WHERE brew_id = ?", (state.value, brew_id))
            if state is BrewState.CREDITED:
                db.execute("INSERT INTO credits(delta, reason, ref) VALUES (?, 'undispensed', ?)",
                           (row[1], brew_id))

    def brews(self, *states: BrewState) -> list[Brew]:
        sql = "SELECT * FROM brews"
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
        return [_brew(r) for r in self._all(sql + " ORDER BY brew_id", *[s.value for s in states])]

    # ------------------------------------------------------------------ credits
    def credit_balance(self) -> int:
        return sum(int(d) for (d,) in self._all("SELECT delta FROM credits"))

    # ------------------------------------------------------------------ outbox
    def outbox_add(self, kind: str, nonce: int, tx_hash: str, raw: bytes, meta: dict) -> int:
        with self.tx() as db:
            db.execute("INSERT INTO outbox(kind, nonce, tx_hash, raw, state, block, meta) "
                       "VALUES (?, ?, ?, ?, ?, NULL, ?)",
                       (kind, nonce, tx_hash, raw, TxState.SIGNED.value, json.dumps(meta)))
            return db.last_insert_rowid()

    def outbox_set(self, tx_id: int, state: TxState, block: int | None = None) -> None:
        with self.tx() as db:
            row = db.execute("SELECT state FROM outbox WHERE id = ?", (tx_id,)).fetchone()
            if row is None:
                raise StoreError(f"unknown outbox transaction id {tx_id}")
            old = TxState(row[0])
            if old in _TX_FINAL and state is not old:
                raise StoreError(f"outbox transaction {tx_id} is final ({old}); it cannot "
                                 f"become {state}")
            db.execute("UPDATE outbox SET state = ?, block = ? WHERE id = ?",
                       (state.value, block, tx_id))

    def outbox_reopen(self, tx_ids: list[int]) -> None:
        """Put transactions a reorg took out of the chain back to BROADCAST, in one step.

        The one way out of a final state: ``outbox_set`` keeps final final, but a reorg
        deeper than the confirmation depth can remove a transaction the machine took as
        final, and its nonce must be filled by the same bytes again."""
        with self.tx() as db:
            for tx_id in tx_ids:
                row = db.execute("SELECT state FROM outbox WHERE id = ?", (tx_id,)).fetchone()
                if row is None:
                    raise StoreError(f"unknown outbox transaction id {tx_id}")
                old = TxState(row[0])
                if old not in _TX_IN_A_BLOCK:
                    raise StoreError(f"outbox transaction {tx_id} is {old}, never mined; only "
                                     f"a mined or final one can be reorged out")
                db.execute("UPDATE outbox SET state = ?, block = NULL WHERE id = ?",
                           (TxState.BROADCAST.value, tx_id))

    def outbox(self, *states: TxState, min_nonce: int | None = None) -> list[OutboxTx]:
        """Transactions in ``states`` (all when none), from ``min_nonce`` on, oldest first."""
        where: list[str] = []
        args: list[object] = [s.value for s in states]
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
        if min_nonce is not None:
            where.append("nonce >= ?")
            args.append(min_nonce)
        sql = "SELECT id, kind, nonce, tx_hash, raw, state, block, meta FROM outbox"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [OutboxTx(r[0], r[1], r[2], r[3], bytes(r[4]), TxState(r[5]), r[6],
                         json.loads(r[7]))
                for r in self._all(sql + " ORDER BY id", *args)]


def _receipt(row: tuple) -> StoredReceipt:
    return StoredReceipt(row[0], int(row[1]), int(row[2]), bytes(row[3]), row[4], row[5], row[6])


def _brew(row: tuple) -> Brew:
    return Brew(row[0], row[1], int(row[2]), int(row[3]), int(row[4]), row[5], BrewState(row[6]))
