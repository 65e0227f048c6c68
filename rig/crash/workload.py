"""The payment path's persistence, run in-process on a recording SD card.

The calls mirror what ``firmware.payment.PaymentDesk`` does on taps: boot, purchases whose
receipts extend the chain (paid by receipt, by credit, or both, credit first), brew outcomes
(done, credited, started then done), a lost receipt adopted on a later tap, and the chain
outbox. After each call returns the store is read back: that is what the application was
promised (``Trace.expected``)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from firmware.store import BrewState, Store, StoredReceipt, TxState
from rig.crash.card import scratch_card
from rig.crash.errors import CrashExplorationError
from rig.crash.snapshot import META_KEYS, Snapshot, read_snapshot
from rig.crash.trace import AppOp, Trace, TraceRecorder

DB_NAME = "machine.db"
PRICES = {1: 10, 2: 15}
SIGNER = "0x" + "ab" * 20
RECOVERED_AMOUNT = 7
MIN_PURCHASES = 3


class _JournalOffStore(Store):
    """Defect ``journal_off``: no rollback journal, so a commit cut short is half applied."""

    def _open(self, sync: bool) -> None:
        super()._open(sync)
        list(self._db.execute("PRAGMA journal_mode=OFF"))


# Defect name (None: the real firmware) -> how the workload opens its store.
DEFECTS: dict[str | None, Callable[[Path], Store]] = {
    None: Store,
    "no_fsync": lambda path: Store(path, sync=False),
    "journal_off": _JournalOffStore,
}

EMPTY = Snapshot(tuple((k, None) for k in META_KEYS), (), (), 0, ())


def signature(sequence: int, cumulative: int) -> bytes:
    """A stand-in 65-byte signature, distinct per receipt (the store never verifies it)."""
    return hashlib.sha256(f"{sequence}:{cumulative}".encode()).digest() * 2 + b"\x1b"


@dataclass
class _Recording:
    recorder: TraceRecorder
    store: Store | None = None
    app_ops: list[AppOp] = field(default_factory=list)
    expected: list[Snapshot] = field(default_factory=lambda: [EMPTY])

    @contextlib.contextmanager
    def step(self, label: str, acknowledges: tuple[int, ...] = ()) -> Iterator[None]:
        index, start = len(self.app_ops), len(self.recorder.ops)
        self.recorder.current = index
        try:
            yield
        finally:
            self.recorder.current = None
        self.app_ops.append(AppOp(index, f"{index:02d} {label}", start, len(self.recorder.ops),
                                  acknowledges))
        self.expected.append(read_snapshot(self.store) if self.store else self.expected[-1])


def record_workload(workdir: Path, *, defect: str | None = None,
                    purchases: int = 8) -> Trace:
    """Run the workload on a fresh store in ``workdir`` and return its trace."""
    if defect not in DEFECTS:
        raise CrashExplorationError(f"unknown defect {defect!r}; known: "
                                    f"{sorted(d for d in DEFECTS if d)} or None")
    if purchases < MIN_PURCHASES:
        raise CrashExplorationError(f"purchases must be >= {MIN_PURCHASES} to cover credit "
                                    f"and recovery, got {purchases}")
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise CrashExplorationError(f"{workdir}: not empty; the workload needs a fresh "
                                    "directory so the trace starts from an empty card")
    with scratch_card() as card:
        rec = _Recording(TraceRecorder(workdir))
        card.recorder = rec.recorder
        with rec.step("open"):
            rec.store = DEFECTS[defect](workdir / DB_NAME)
        try:
            _payments(rec, rec.store, purchases)
        finally:
            store, rec.store = rec.store, None
            with rec.step("close"):
                store.close()
    return Trace(rec.recorder.ops, rec.app_ops, rec.expected, defect)


def _payments(rec: _Recording, store: Store, purchases: int) -> None:
    with rec.step("boot"):
        store.boot()
    redeem: int | None = None
    for i in range(1, purchases + 1):
        product = 2 if i % 3 == 0 else 1
        price = PRICES[product]
        credit = min(store.credit_balance(), price)
        receipt = _next_receipt(store, price - credit, "tap") if credit < price else None
        label = "record_purchase " + "+".join(
            ([f"r#{receipt.sequence}"] if receipt else []) + ([f"credit {credit}"] if credit
                                                              else []))
        with rec.step(label, (receipt.sequence,) if receipt else ()):
            brew = store.record_purchase(product, price, receipt, credit)
        short = f"brew {brew.brew_id & 0xFFFFFFFF}"
        if i % 4 == 2:
            with rec.step(f"set_brew_state {short} credited"):
                store.set_brew_state(brew.brew_id, BrewState.CREDITED)
        else:
            if i % 4 == 3:
                with rec.step(f"set_brew_state {short} started"):
                    store.set_brew_state(brew.brew_id, BrewState.STARTED)
            with rec.step(f"set_brew_state {short} done"):
                store.set_brew_state(brew.brew_id, BrewState.DONE)
        if i == 2:
            lost = _next_receipt(store, RECOVERED_AMOUNT, "recovered")
            with rec.step(f"adopt_recovered r#{lost.sequence}", (lost.sequence,)):
                store.adopt_recovered(lost)
        if i == 3:
            latest = store.latest_receipt()
            with rec.step("outbox_add redeem"):
                redeem = store.outbox_add("redeem", 0, "0x" + "cd" * 32, b"\x02" * 180,
                                          {"cumulative": latest.cumulative if latest else 0})
            with rec.step("outbox_set broadcast"):
                store.outbox_set(redeem, TxState.BROADCAST)
        if i == MIN_PURCHASES + 1 and redeem is not None:
            with rec.step("outbox_set mined"):
                store.outbox_set(redeem, TxState.MINED, 100)
            with rec.step("outbox_set confirmed"):
                store.outbox_set(redeem, TxState.CONFIRMED, 100)


def _next_receipt(store: Store, charge: int, origin: str) -> StoredReceipt:
    latest = store.latest_receipt()
    seq = (latest.sequence if latest else 0) + 1
    cumulative = (latest.cumulative if latest else 0) + charge
    return StoredReceipt(seq, cumulative, charge, signature(seq, cumulative), SIGNER, None,
                         origin)
