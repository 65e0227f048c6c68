"""The emulated Pi's SD card: a power cut loses exactly the writes that were not synced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import apsw

from emulators.pi.board import ROOT, SITE

WRITER = textwrap.dedent("""
    import os, sys, time, apsw
    db = apsw.Connection(sys.argv[1])
    list(db.execute("PRAGMA journal_mode=PERSIST"))
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS t(x INTEGER)")
    db.execute("INSERT INTO t VALUES (1)")          # committed and synced
    db.execute("PRAGMA synchronous=OFF")
    db.execute("INSERT INTO t VALUES (2)")          # committed, never synced
    print("ready", flush=True)
    time.sleep(60)
""")


def _run_and_cut(tmp_path: Path, sdcard: str) -> list[int]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    db = tmp_path / "card.db"
    env = {**os.environ, "PYTHONPATH": f"{SITE}{os.pathsep}{ROOT}",
           "COFFEEPAY_PI_SDCARD": sdcard}
    proc = subprocess.Popen([sys.executable, str(script), str(db)], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = apsw.Connection(str(db))
    return [x for (x,) in conn.execute("SELECT x FROM t ORDER BY x")]


def test_power_cut_drops_unsynced_writes_on_the_volatile_card(tmp_path):
    assert _run_and_cut(tmp_path, "volatile") == [1]


def test_host_page_cache_would_hide_the_missing_sync(tmp_path):
    """Why the card exists: a plain SIGKILL keeps unsynced data in the OS page cache."""
    assert _run_and_cut(tmp_path, "host") == [1, 2]


def test_reads_see_pending_writes_and_truncates(tmp_path):
    from emulators.pi.sdcard import install, uninstall

    card = install()
    try:
        _exercise(tmp_path / "rw.db")
        assert card.stats.syncs == 0 and card.stats.writes > 0
    finally:
        uninstall()


def _exercise(path: Path) -> None:
    db = apsw.Connection(str(path))
    list(db.execute("PRAGMA journal_mode=PERSIST"))
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE t(x BLOB)")
    for i in range(50):
        db.execute("INSERT INTO t VALUES (?)", (os.urandom(3000) + bytes([i]),))
    db.execute("DELETE FROM t WHERE rowid % 2 = 0")
    db.execute("VACUUM")
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 25
    assert list(db.execute("PRAGMA integrity_check")) == [("ok",)]
