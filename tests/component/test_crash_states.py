"""Crash-state exploration of the firmware's store (rig.crash).

The real store must survive every crash state the SD card allows; the ``no_fsync`` and
``journal_off`` controls must not, or the exploration is blind. The generators must really
produce the states they claim (asserted on bytes), and a seed must replay the same states.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from firmware.store import Brew, BrewState, Store, StoredReceipt
from rig.crash import (
    DEFECTS,
    AppOp,
    CrashExplorationError,
    ExploreConfig,
    FileOp,
    Limits,
    OpKind,
    Trace,
    explore,
    generate_states,
    record_workload,
)
from rig.crash.card import scratch_card
from rig.crash.check import check_state
from rig.crash.disk import Disk
from rig.crash.explore import plan
from rig.crash.invariants import (
    brew_id_problems,
    chain_problems,
    credit_problems,
    purchase_problems,
)
from rig.crash.snapshot import Snapshot
from rig.crash.states import CrashState, TornWrite, build_disk, durable_disk
from rig.crash.workload import DB_NAME, EMPTY

SMALL = 150


@pytest.fixture(scope="module")
def real_plan(tmp_path_factory: pytest.TempPathFactory):
    """All crash states of the real store's workload (seed fixed: the shared fixture)."""
    trace, candidates, _, _ = plan(ExploreConfig(states=0, seed=11),
                                   tmp_path_factory.mktemp("crash") / "workload")
    return trace, candidates


def _failures(result) -> str:
    return "\n".join(f"{v.state.describe(result.trace)}: {v.failures}"
                     for v in result.violations[:5])


# --------------------------------------------------------------------------- exploration
def test_the_real_store_survives_a_small_exploration(rng: random.Random):
    result = explore(ExploreConfig(states=SMALL, seed=rng.randrange(2**32)))
    assert len(result.explored) == SMALL
    assert result.violations == [], _failures(result)
    kinds = {s.kind for s in result.explored}
    assert {"prefix", "dropped", "torn", "reordered"} <= kinds
    # The workload acknowledged receipts, and the checked states sit at crash points before
    # and after acknowledgements: durability was actually demanded.
    assert any(a.acknowledges for a in result.trace.app_ops)
    assert any(s.acknowledged > 3 for s in result.explored)
    assert any(s.in_flight is not None for s in result.explored)


def test_no_fsync_control_loses_acknowledged_receipts(rng: random.Random):
    result = explore(ExploreConfig(states=SMALL, seed=rng.randrange(2**32),
                                   defect="no_fsync"))
    assert result.trace.syncs == 0
    assert result.violations, "the store without fsync survived every crash: blind explorer"
    texts = [f for v in result.violations for f in v.failures]
    assert any(t.startswith("durability: receipt #") and t.endswith("is lost") for t in texts)


def test_a_recovered_store_that_cannot_be_read_back_is_a_violation_not_a_crash():
    """A CI run's no_fsync control (seed 1008606759): one reordered crash state opened, and
    reading it raised CorruptError, which ended the whole exploration instead of counting."""
    result = explore(ExploreConfig(states=SMALL, seed=1008606759, defect="no_fsync"))
    assert len(result.explored) == SMALL
    unreadable = [v for v in result.violations
                  if any(f.startswith("read: CorruptError") for f in v.failures)]
    assert [v.state.kind for v in unreadable] == ["reordered"], _failures(result)


def test_journal_off_control_breaks_atomicity(rng: random.Random):
    result = explore(ExploreConfig(states=SMALL, seed=rng.randrange(2**32),
                                   defect="journal_off"))
    assert result.violations, "a store without a journal survived every crash: blind explorer"
    assert any(v.state.kind in ("prefix", "torn", "reordered") for v in result.violations)


class _SplitPurchaseStore(Store):
    """A plausible firmware bug: the receipt commits before its brew and credit do."""

    def record_purchase(self, product: int, price: int, receipt: StoredReceipt | None,
                        credit_used: int) -> Brew:
        if receipt is not None:
            with self.tx() as db:
                self._insert_receipt(db, replace(receipt, brew_id=self.peek_brew_id()))
        with self.tx() as db:
            brew_id = self._next_brew_id(db)
            if credit_used:
                db.execute("INSERT INTO credits(delta, reason, ref) VALUES (?, 'spent', ?)",
                           (str(-credit_used), brew_id))
            brew = Brew(brew_id, product, price, receipt.price if receipt else 0, credit_used,
                        receipt.sequence if receipt else None, BrewState.PAID)
            db.execute("INSERT INTO brews VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (brew_id, product, str(price), str(brew.paid_by_receipt),
                        str(credit_used), brew.sequence, brew.state.value))
        return brew


def test_a_purchase_split_over_two_commits_is_caught(monkeypatch, rng: random.Random):
    monkeypatch.setitem(DEFECTS, "split_purchase", _SplitPurchaseStore)
    result = explore(ExploreConfig(states=SMALL, seed=rng.randrange(2**32),
                                   defect="split_purchase"))
    texts = [f for v in result.violations for f in v.failures]
    assert any(t.startswith("partial purchase: receipt #") for t in texts), texts[:5]
    assert any(t.startswith("atomicity: ") for t in texts)


def test_report_counts_states_per_kind_and_operation(rng: random.Random):
    result = explore(ExploreConfig(states=40, seed=rng.randrange(2**32), defect="no_fsync"))
    doc = result.to_json()
    assert doc["states"]["total"] == 40 == sum(doc["states"]["per_kind"].values())
    assert sum(doc["states"]["per_app_op"].values()) == 40
    assert doc["violations"]["count"] == len(result.violations) > 0
    assert doc["violations"]["items"][0]["failures"]
    assert doc["defect"] == "no_fsync" and doc["seed"] == result.config.seed


# --------------------------------------------------------------------------- generators
def test_every_state_rebuilds_to_the_images_it_was_generated_from(real_plan,
                                                                  rng: random.Random):
    trace, candidates = real_plan
    for state in rng.sample(candidates, 60):
        assert build_disk(trace, state).digest() == state.digest, state.describe(trace)


def test_torn_writes_leave_images_neither_before_nor_after_the_write(real_plan):
    trace, candidates = real_plan
    torn = [s for s in candidates if s.kind == "torn"]
    assert {s.torn.mode for s in torn} == {"half", "sector", "garbage"}
    for state in torn:
        op = trace.ops[state.torn.op]
        before = durable_disk(trace, state.crash_at)
        for i in state.applied:
            before.apply(trace.ops[i])
        after = before.copy()
        after.apply(op)
        image = build_disk(trace, state).files[op.file]
        assert image != before.files.get(op.file) and image != after.files[op.file]
        start, data = op.offset, state.torn.data
        assert image[start:start + len(data)] == data
        if state.torn.mode == "half":
            assert data == op.data[: len(op.data) // 2]
            old = before.files.get(op.file, bytearray())
            rest = bytes(image[start + len(data):start + len(op.data)])
            assert rest == bytes(old[start + len(data):start + len(op.data)]).ljust(
                len(rest), b"\0")
        elif state.torn.mode == "sector":
            assert data == op.data[:512] and len(op.data) > 512
        else:
            assert len(data) == len(op.data) and data != op.data


def test_reordered_states_differ_from_every_in_order_landing(real_plan):
    trace, candidates = real_plan
    reordered = [s for s in candidates if s.kind == "reordered"]
    assert len(reordered) > 50
    for state in reordered[::5]:
        pending = _pending(trace, state.crash_at)
        in_order = []
        disk = durable_disk(trace, state.crash_at)
        in_order.append(disk.digest())
        for i in pending:
            disk.apply(trace.ops[i])
            in_order.append(disk.digest())
        assert state.digest not in in_order, state.describe(trace)
        assert list(state.applied) != pending[: len(state.applied)]


def test_reordering_overlapping_writes_changes_the_bytes():
    """Two unsynced writes to the same bytes: the card may keep the older one last."""
    ops = [FileOp(0, "f", OpKind.WRITE, 0, b"AAAA", 0), FileOp(1, "f", OpKind.WRITE, 2, b"BBBB", 0),
           FileOp(2, "f", OpKind.SYNC, 0, b"", 0)]
    trace = Trace(ops, [AppOp(0, "00 op", 0, 3, ())], [EMPTY, EMPTY])
    states, _ = generate_states(trace, random.Random(5))
    images = {s.applied: bytes(build_disk(trace, s).files["f"]) for s in states
              if s.kind == "reordered"}
    assert images[(1, 0)] == b"AAAABB"
    assert images[(1,)] == b"\0\0BBBB"
    prefix = [s for s in states if s.kind == "prefix" and s.crash_at == 2]
    assert bytes(build_disk(trace, prefix[0]).files["f"]) == b"AABBBB"


def test_a_synced_write_is_never_undone():
    ops = [FileOp(0, "f", OpKind.WRITE, 0, b"old!", 0), FileOp(1, "f", OpKind.SYNC, 0, b"", 0),
           FileOp(2, "f", OpKind.WRITE, 0, b"new!", 1), FileOp(3, "f", OpKind.SYNC, 0, b"", 1)]
    trace = Trace(ops, [AppOp(0, "00 a", 0, 2, ()), AppOp(1, "01 b", 2, 4, ())],
                  [EMPTY, EMPTY, EMPTY])
    states, _ = generate_states(trace, random.Random(1))
    images = {(s.kind, s.crash_at): bytes(build_disk(trace, s).files.get("f", b""))
              for s in states if s.torn is None}
    assert images[("dropped", 3)] == b"old!"
    assert images[("prefix", 4)] == b"new!"
    later = [bytes(build_disk(trace, s).files.get("f", b"")) for s in states if s.crash_at >= 2]
    assert later and all(len(image) == 4 for image in later)
    assert b"ne" + b"d!" in later  # the torn half of the second write over the first


def test_limits_cap_a_long_unsynced_stretch():
    ops = [FileOp(i, "f", OpKind.WRITE, 8 * i, bytes([i]) * 8, 0) for i in range(40)]
    trace = Trace(ops, [AppOp(0, "00 many", 0, 40, ())], [EMPTY, EMPTY])
    limits = Limits(partial_per_point=3, torn_per_point=2, reorders_per_point=4)
    states, _ = generate_states(trace, random.Random(2), limits)
    at_end = [s for s in states if s.crash_at == 40]
    assert sum(s.kind == "partial" for s in at_end) <= 3
    assert len({s.torn.op for s in at_end if s.kind == "torn"}) <= 2
    assert any(s.torn.op == 39 for s in at_end if s.kind == "torn")  # the last write tears
    assert sum(s.kind == "reordered" for s in at_end) <= 4


def test_same_seed_same_states_other_seed_other_sample(tmp_path: Path):
    def keys(seed: int, name: str) -> tuple[list, list]:
        _, candidates, _, chosen = plan(ExploreConfig(states=SMALL, seed=seed),
                                        tmp_path / name)
        return [s.key for s in candidates], [s.key for s in chosen]

    first, again, other = keys(3, "a"), keys(3, "b"), keys(4, "c")
    assert first == again
    assert first[1] != other[1]


# --------------------------------------------------------------------------- the checker
def test_a_state_the_store_cannot_open_is_a_violation(real_plan, tmp_path: Path):
    trace, _ = real_plan
    first_db_write = next(op for op in trace.ops
                          if op.file == DB_NAME and op.kind is OpKind.WRITE and op.offset == 0)
    garbage = TornWrite(first_db_write.index, "garbage", b"\xa5" * len(first_db_write.data))
    end = len(trace.ops)
    state = CrashState("torn", end, (), garbage, len(trace.app_ops), None, "close", "", "")
    with scratch_card():
        failures = check_state(trace, state, tmp_path / "state")
    assert failures and failures[0].startswith("open: "), failures
    assert "restore from a backup" in failures[0]


def test_a_state_that_lost_acknowledged_receipts_is_a_violation(real_plan, tmp_path: Path):
    trace, _ = real_plan
    assert trace.expected[-1].receipts
    halfway = trace.app_ops[len(trace.app_ops) // 2]
    state = CrashState("dropped", halfway.start, (), None, len(trace.app_ops), None, "close",
                       "", "")
    with scratch_card():
        failures = check_state(trace, state, tmp_path / "state")
    assert any(f.startswith("durability: receipt #") for f in failures), failures


def _receipt(seq: int, cumulative: int, price: int, brew_id: int | None,
             origin: str = "tap") -> StoredReceipt:
    return StoredReceipt(seq, cumulative, price, b"s" * 65, "0xab", brew_id, origin)


def _snap(receipts=(), brews=(), balance=0, boots=1, issued=9) -> Snapshot:
    meta = (("boots", boots), ("brews_this_boot", issued), ("unrecorded_dispensed", None))
    return Snapshot(meta, tuple(receipts), tuple(brews), balance, ())


BREW_1 = (1 << 32) | 1


def test_invariants_flag_a_brew_without_its_receipt_and_the_reverse():
    brew = Brew(BREW_1, 1, 10, 10, 0, 1, BrewState.PAID)
    assert purchase_problems(_snap([_receipt(1, 10, 10, BREW_1)], [brew])) == []
    assert purchase_problems(_snap([], [brew]))
    assert purchase_problems(_snap([_receipt(1, 10, 10, BREW_1)], []))


def test_invariants_flag_a_chain_that_does_not_grow():
    ok = [_receipt(1, 10, 10, None), _receipt(2, 25, 15, None)]
    assert chain_problems(_snap(ok)) == []
    assert chain_problems(_snap([_receipt(1, 10, 10, None), _receipt(2, 10, 5, None)]))
    assert chain_problems(_snap([_receipt(1, 10, 10, None), _receipt(2, 30, 15, None)]))


def test_invariants_flag_credit_without_its_cause():
    credited = Brew(BREW_1, 1, 10, 10, 0, 1, BrewState.CREDITED)
    snap = _snap([_receipt(1, 10, 10, BREW_1)], [credited], balance=10)
    assert credit_problems(snap, [(10, "undispensed", BREW_1)]) == []
    assert credit_problems(snap, [])                                     # credit lost
    assert credit_problems(snap, [(10, "undispensed", BREW_1)] * 2)      # granted twice
    spender = Brew(BREW_1, 1, 10, 0, 10, None, BrewState.PAID)
    assert credit_problems(_snap([], [spender], balance=-10), [(-10, "spent", BREW_1)])
    assert credit_problems(_snap([], [spender], balance=0), [])          # spent nothing


def test_invariants_flag_a_brew_id_counter_behind_its_brews():
    brew = Brew((1 << 32) | 5, 1, 10, 0, 10, None, BrewState.DONE)
    assert brew_id_problems(_snap([], [brew], issued=5)) == []
    assert brew_id_problems(_snap([], [brew], issued=4))


# --------------------------------------------------------------------------- inputs
def test_bad_configuration_is_refused_with_the_reason(tmp_path: Path):
    with pytest.raises(CrashExplorationError, match="states must be >= 0"):
        ExploreConfig(states=-1)
    with pytest.raises(CrashExplorationError, match="unknown defect 'fast'"):
        ExploreConfig(defect="fast")
    with pytest.raises(CrashExplorationError, match="partial_per_point must be >= 1"):
        Limits(partial_per_point=0)
    (tmp_path / "old.db").write_bytes(b"x")
    with pytest.raises(CrashExplorationError, match="not empty"):
        record_workload(tmp_path)
    with pytest.raises(CrashExplorationError, match="purchases must be >= 3"):
        record_workload(tmp_path / "fresh", purchases=1)
    with pytest.raises(CrashExplorationError, match="expected snapshots"):
        Trace([], [AppOp(0, "00 x", 0, 0, ())], [EMPTY])


def test_disk_refuses_to_materialise_over_existing_files(tmp_path: Path):
    disk = Disk({"f": bytearray(b"x")})
    disk.materialise(tmp_path)
    with pytest.raises(CrashExplorationError, match="already exists"):
        disk.materialise(tmp_path)


def _pending(trace: Trace, crash_at: int) -> list[int]:
    last_sync: dict[str, int] = {}
    for op in trace.ops[:crash_at]:
        if op.kind is OpKind.SYNC:
            last_sync[op.file] = op.index
    return [op.index for op in trace.ops[:crash_at]
            if op.kind is not OpKind.SYNC and op.index > last_sync.get(op.file, -1)]
