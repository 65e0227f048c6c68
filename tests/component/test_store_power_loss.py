"""The store under power cuts on the emulated Pi's volatile SD card.

A child process (the "firmware") opens ``firmware.store.Store`` on the volatile card, records
purchases and prints ``ack <seq>`` after each ``record_purchase`` returns: from then on the
machine would brew, so the receipt must survive anything. The process is SIGKILLed at a
seeded point: before the k-th write the card takes from its cache (so a cut can land between
any two writes of a sync), at the k-th sync through the card's own fault control (whole or
torn), or, past the last write, from outside.

The negative control: with ``sync=False`` (the ``no_fsync`` defect) acknowledged receipts are
lost, which proves the card, not the host's page cache, decides what survives.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import apsw
import pytest

from emulators.pi.board import ROOT, SITE
from firmware.store import Store

PRICE = 10

CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path

    import apsw

    from emulators.pi import sdcard
    from firmware.store import Store, StoredReceipt

    path, count, price = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    sync, cut_at = sys.argv[4] == "sync", int(sys.argv[5])
    writes = 0
    flush = sdcard.VolatileFile._flush

    def flush_one_by_one(self):
        # The cut may land before any single write reaches the card, mid-sync included.
        global writes
        ops, self.pending.ops = self.pending.ops, []
        for op in ops:
            writes += 1
            if writes == cut_at:
                os.kill(os.getpid(), signal.SIGKILL)
            self.pending.ops = [op]
            flush(self)

    sdcard.VolatileFile._flush = flush_one_by_one
    print("vfs", apsw.vfs_names()[0], flush=True)
    store = Store(path, sync=sync)
    store.boot()
    latest = store.latest_receipt()
    first = (latest.sequence if latest else 0) + 1
    for seq in range(first, first + count):
        receipt = StoredReceipt(seq, price * seq, price, bytes([seq % 256]) * 65,
                                "0x" + "ab" * 20, None, "tap")
        store.record_purchase(1, price, receipt, 0)
        print("ack", seq, flush=True)
    print("done", writes, sdcard.install().stats.syncs, flush=True)
    sys.stdin.read()   # powered, idle: only a cut (SIGKILL) ends this process
""")


@dataclass
class Run:
    acked: list[int]
    done: bool
    writes: int | None   # writes the card took, when the child got to the end
    syncs: int | None


def _arm_card(control: Path, arm: int, cut_after_syncs: int, torn: bool) -> None:
    """The card's fault file, as the rig's ``power.cut_at_write`` fault writes it."""
    control.write_text(json.dumps({"arm": arm, "cut_after_syncs": cut_after_syncs,
                                   "torn": torn}))


def _power_cycle(tmp_path: Path, db: Path, count: int, *, sync: bool = True,
                 cut_at: int = 0, control: Path | None = None) -> Run:
    """One boot of the child: record ``count`` purchases, cut power before write ``cut_at``
    (or as the card's ``control`` file says, or once all are acknowledged)."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": f"{SITE}{os.pathsep}{ROOT}",
           "COFFEEPAY_PI_SDCARD": "volatile"}
    env.pop("COFFEEPAY_SD_FSYNC", None)
    env.pop("COFFEEPAY_SD_CONTROL", None)
    if control is not None:
        env["COFFEEPAY_SD_CONTROL"] = str(control)
    stderr = tmp_path / "child.err"
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(db), str(count), str(PRICE),
             "sync" if sync else "nosync", str(cut_at)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    acked: list[int] = []
    done, writes, syncs = False, None, None
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().split() == ["vfs", "volatile-sd"], stderr.read_text()
        for line in proc.stdout:
            word, *values = line.split()
            if word == "ack":
                acked.append(int(values[0]))
            else:
                done, (writes, syncs) = True, map(int, values)
                proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stdin.close()
    assert proc.returncode == -signal.SIGKILL, stderr.read_text()
    return Run(acked, done, writes, syncs)


def _check_after_reboot(db: Path, acked: list[int]) -> list[int]:
    """Reopen as the firmware does after a cut; the store's own integrity check runs first."""
    store = Store(db)
    try:
        receipts = store.receipts()
        brews = store.brews()
    finally:
        store.close()
    conn = apsw.Connection(str(db))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    sequences = [r.sequence for r in receipts]
    missing = sorted(set(acked) - set(sequences))
    assert not missing, f"acknowledged receipts lost in the power cut: {missing}"
    # Each purchase is one transaction: receipts contiguous, each with its own brew.
    assert sequences == list(range(1, len(sequences) + 1))
    assert all(r.cumulative == PRICE * r.sequence for r in receipts)
    assert sorted(b.sequence for b in brews) == sequences
    by_sequence = sorted(brews, key=lambda b: b.sequence)
    assert [r.brew_id for r in receipts] == [b.brew_id for b in by_sequence]
    return sequences


def test_every_acknowledged_receipt_survives_power_cuts_at_seeded_points(tmp_path,
                                                                         rng: random.Random):
    per_boot = 25
    calibration = _power_cycle(tmp_path, tmp_path / "calibrate.db", per_boot)
    assert calibration.done and calibration.acked == list(range(1, per_boot + 1))
    assert calibration.writes and calibration.syncs
    assert calibration.syncs >= 2 * per_boot  # journal, then database, for every commit
    _check_after_reboot(tmp_path / "calibrate.db", calibration.acked)

    db, control = tmp_path / "machine.db", tmp_path / "sdcard-faults.json"
    acked: list[int] = []
    cut_mid_stream = 0
    for boot in range(12):
        if boot % 2:
            _arm_card(control, boot, rng.randint(1, calibration.syncs), rng.random() < 0.5)
            run = _power_cycle(tmp_path, db, per_boot, control=control)
        else:
            run = _power_cycle(tmp_path, db, per_boot, cut_at=rng.randint(1, calibration.writes))
        cut_mid_stream += not run.done
        acked += run.acked
        present = _check_after_reboot(db, acked)
        # At most the purchase in flight at the cut committed without its ack.
        assert len(present) <= len(acked) + 1
        # What the card kept is durable from now on, acknowledged or not.
        acked = present
    assert cut_mid_stream >= 6


def test_a_cut_before_the_first_commit_leaves_a_usable_empty_store(tmp_path):
    db = tmp_path / "machine.db"
    for cut_at in (1, 2, 3):
        run = _power_cycle(tmp_path, db, 3, cut_at=cut_at)
        assert not run.done
        _check_after_reboot(db, run.acked)
    run = _power_cycle(tmp_path, db, 3)
    assert run.done
    assert _check_after_reboot(db, run.acked)[-3:] == run.acked
    assert len(run.acked) == 3


@pytest.mark.parametrize("sync", [True, False], ids=["fsync", "no_fsync"])
def test_acknowledged_receipts_survive_only_with_fsync(tmp_path, sync):
    db = tmp_path / "machine.db"
    run = _power_cycle(tmp_path, db, 20, sync=sync)
    assert run.done and run.acked == list(range(1, 21))
    store = Store(db)
    try:
        kept = [r.sequence for r in store.receipts()]
    finally:
        store.close()
    lost = sorted(set(run.acked) - set(kept))
    if sync:
        assert lost == [] and kept == run.acked
    else:
        # The defect the rig must catch: the machine acknowledged (and would have brewed)
        # paid coffees whose receipts the power cut erased.
        assert lost, f"no receipt lost without fsync (kept {kept}): the power model is blind"
        assert run.acked[-1] in lost
