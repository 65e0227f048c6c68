"""Reopen one crash state as the firmware does at boot and judge what it finds.

Durability: every receipt acknowledged before the crash is there, unchanged. Atomicity: the
store is exactly what the application saw after the last acknowledged operation, or after
the one in flight, never a mix. Plus the invariants that hold whatever was acknowledged,
the integrity check, and that the recovered store still takes a purchase."""

from __future__ import annotations

from pathlib import Path

import apsw

from firmware.store import Store, StoredReceipt, StoreError
from rig.crash.invariants import CreditRow, snapshot_problems
from rig.crash.snapshot import Snapshot, read_snapshot
from rig.crash.states import CrashState, build_disk
from rig.crash.trace import Trace
from rig.crash.workload import DB_NAME, PRICES, SIGNER, signature


def check_state(trace: Trace, state: CrashState, directory: Path) -> list[str]:
    """Materialise ``state`` into the fresh ``directory``; return what failed (empty: ok)."""
    build_disk(trace, state).materialise(directory)
    db = directory / DB_NAME
    try:
        store = Store(db)
    except StoreError as e:
        return [f"open: {e}"]
    except Exception as e:  # anything but a clear StoreError is itself a finding
        return [f"open: {type(e).__name__} instead of a StoreError: {e}"]
    snap: Snapshot | None = None
    try:
        snap = read_snapshot(store)
        failures = _usable(store, snap)
    except (StoreError, apsw.Error) as e:   # opened, but its contents cannot be read back
        failures = [f"read: {type(e).__name__} reading the recovered store: {e}"]
    finally:
        store.close()
    rows, integrity = _raw(db)
    if integrity != ["ok"]:
        failures.insert(0, f"integrity: {integrity[:3]}")
    if snap is None:
        return failures
    return (failures + snapshot_problems(snap, rows) + _durability(trace, state, snap)
            + _atomicity(trace, state, snap))


def _usable(store: Store, snap: Snapshot) -> list[str]:
    """After recovery the machine boots and sells the next coffee on the same chain."""
    latest = snap.receipts[-1] if snap.receipts else None
    seq = (latest.sequence if latest else 0) + 1
    cumulative = (latest.cumulative if latest else 0) + PRICES[1]
    try:
        store.boot()
        store.record_purchase(1, PRICES[1], StoredReceipt(
            seq, cumulative, PRICES[1], signature(seq, cumulative), SIGNER, None, "tap"), 0)
    except (StoreError, apsw.Error) as e:
        return [f"unusable after recovery: {type(e).__name__}: {e}"]
    return []


def _raw(db: Path) -> tuple[list[CreditRow], list[str]]:
    """The credit rows and SQLite's own integrity verdict, read past the firmware."""
    conn = apsw.Connection(str(db))
    try:
        rows = [(int(d), reason, ref) for d, reason, ref in
                conn.execute("SELECT delta, reason, ref FROM credits ORDER BY id")]
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except apsw.Error as e:
        return [], [f"unreadable after the firmware closed it: {type(e).__name__}: {e}"]
    finally:
        conn.close()
    return rows, integrity


def _durability(trace: Trace, state: CrashState, snap: Snapshot) -> list[str]:
    promised = trace.expected[state.acknowledged]
    have = {r.sequence: r for r in snap.receipts}
    acked_by = {seq: a.name for a in trace.app_ops for seq in a.acknowledges}
    out = []
    for r in promised.receipts:
        got = have.get(r.sequence)
        by = acked_by.get(r.sequence, "an earlier operation")
        if got is None:
            out.append(f"durability: receipt #{r.sequence} (cumulative {r.cumulative}), "
                       f"acknowledged by {by}, is lost")
        elif got != r:
            out.append(f"durability: receipt #{r.sequence}, acknowledged by {by}, changed: "
                       f"cumulative {got.cumulative} (was {r.cumulative}), signature "
                       f"{'kept' if got.signature == r.signature else 'changed'}")
    return out


def _atomicity(trace: Trace, state: CrashState, snap: Snapshot) -> list[str]:
    before = trace.expected[state.acknowledged]
    if snap == before:
        return []
    if state.in_flight is not None:
        if snap == trace.expected[state.in_flight + 1]:
            return []
        flying = trace.app_ops[state.in_flight].name
        return [f"atomicity: the store is neither as before nor as after {flying}; versus "
                f"before: {'; '.join(snap.differences(before))}"]
    last = trace.app_ops[state.acknowledged - 1].name if state.acknowledged else "the start"
    return [f"durability: the store is not as {last} left it: "
            f"{'; '.join(snap.differences(before))}"]
