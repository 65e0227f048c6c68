"""An SD card behind a volatile write cache, as SQLite (apsw) sees it.

Writes are held in the firmware process's memory until SQLite syncs the file; only then do
they reach the card. A power cut (SIGKILL of the process) therefore loses exactly the
writes that were not synced, as real power loss does. The OS page cache, which survives a
SIGKILL, is never given unsynced data, so a missing fsync cannot hide.

Installed as SQLite's default VFS inside the firmware process by ``site/sitecustomize.py``;
the firmware itself is unchanged.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import apsw

BASE_VFS = "unix"

# (file name or None for SQLite's nameless temp files, "write" | "truncate" | "sync",
#  offset for a write / new size for a truncate / 0 for a sync, the bytes written or b"")
Recorder = Callable[[str | None, str, int, bytes], None]


@dataclass
class CardStats:
    writes: int = 0
    syncs: int = 0
    bytes_synced: int = 0


@dataclass
class CardFaults:
    """Faults of the card, armed by the rig through a small JSON file it rewrites at will.

    ``{"arm": N, "cut_after_syncs": k, "torn": bool, "quota_bytes": n|null}``: a new ``arm``
    number counts ``k`` syncs from now; the k-th sync cuts the power instead of completing
    (with ``torn`` the first half of its last pending write reaches the card first, as a
    half-written sector). ``quota_bytes`` makes writes beyond that total size fail as a full
    card does (SQLITE_FULL).
    """

    path: Path | None
    armed: object = None
    cut_at: int | None = None
    torn: bool = False
    quota: int | None = None
    _mtime: float = -1.0

    def refresh(self, syncs: int) -> None:
        if self.path is None:
            return
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return  # a half-written control file: read it on the next sync
        self.quota = doc.get("quota_bytes")
        if doc.get("arm") != self.armed:
            self.armed = doc.get("arm")
            k = doc.get("cut_after_syncs")
            self.cut_at = None if k is None else syncs + int(k)
            self.torn = bool(doc.get("torn", False))


@dataclass
class _Pending:
    ops: list[tuple[str, int, bytes]] = field(default_factory=list)  # (kind, offset/size, data)


class VolatileFile(apsw.VFSFile):
    def __init__(self, card: VolatileCard, name: str | apsw.URIFilename | None,
                 flags: list[int]):
        super().__init__(BASE_VFS, name, flags)
        self.card = card
        self.pending = _Pending()
        self.filename = name.filename() if isinstance(name, apsw.URIFilename) else name

    def _record(self, op: str, arg: int, data: bytes) -> None:
        if self.card.recorder is not None:
            self.card.recorder(self.filename, op, arg, data)

    def _logical_size(self) -> int:
        size = super().xFileSize()
        for kind, arg, data in self.pending.ops:
            size = arg if kind == "truncate" else max(size, arg + len(data))
        return size

    def xFileSize(self) -> int:
        with self.card.lock:
            return self._logical_size()

    def xRead(self, amount: int, offset: int) -> bytes:
        with self.card.lock:
            real = super().xFileSize()
            buf = bytearray(amount)
            if offset < real:
                chunk = super().xRead(min(amount, real - offset), offset)
                buf[: len(chunk)] = chunk
            size = real
            for kind, arg, data in self.pending.ops:
                if kind == "truncate":
                    size = arg
                    if arg < offset + amount:
                        cut = max(0, arg - offset)
                        buf[cut:] = bytes(amount - cut)
                    continue
                size = max(size, arg + len(data))
                lo, hi = max(offset, arg), min(offset + amount, arg + len(data))
                if lo < hi:
                    buf[lo - offset: hi - offset] = data[lo - arg: hi - arg]
            available = max(0, min(amount, size - offset))
            return bytes(buf[:available])  # short read: SQLite zero-fills and knows

    def xWrite(self, data: bytes, offset: int) -> None:
        with self.card.lock:
            quota = self.card.faults.quota
            if quota is not None and offset + len(data) > max(quota, self._logical_size()):
                raise apsw.FullError(f"SD card full: quota {quota} bytes")
            self.card.stats.writes += 1
            data = bytes(data)
            self.pending.ops.append(("write", offset, data))
            self._record("write", offset, data)

    def xTruncate(self, size: int) -> None:
        with self.card.lock:
            self.pending.ops.append(("truncate", size, b""))
            self._record("truncate", size, b"")

    def xSync(self, flags: int) -> None:
        with self.card.lock:
            self.card.stats.syncs += 1
            faults = self.card.faults
            faults.refresh(self.card.stats.syncs)
            if faults.cut_at is not None and self.card.stats.syncs >= faults.cut_at:
                self._power_cut(torn=faults.torn)
            self._flush()
            self._record("sync", 0, b"")
            if self.card.real_fsync:
                super().xSync(flags)

    def _power_cut(self, torn: bool) -> None:
        """Die here, mid-sync: nothing pending reaches the card (or half a write, torn)."""
        writes = [(off, data) for kind, off, data in self.pending.ops if kind == "write"]
        if torn and writes:
            offset, data = writes[-1]
            super().xWrite(data[: max(1, len(data) // 2)], offset)
        os.kill(os.getpid(), signal.SIGKILL)

    def _flush(self) -> None:
        for kind, arg, data in self.pending.ops:
            if kind == "truncate":
                super().xTruncate(arg)
            else:
                super().xWrite(data, arg)
                self.card.stats.bytes_synced += len(data)
        self.pending.ops.clear()

    def xClose(self) -> None:
        # A clean close hands the data to the OS, which writes it back eventually.
        with self.card.lock:
            self._flush()
        super().xClose()


class VolatileCard(apsw.VFS):
    """The VFS; ``real_fsync`` also fsyncs the host file (slower, not needed for SIGKILL).

    ``recorder``, when set, is told every write, truncate and completed sync in the order
    SQLite issues them (crash-state exploration replays them); unset, it costs nothing."""

    def __init__(self, name: str = "volatile-sd", real_fsync: bool = False,
                 control: Path | None = None):
        self.lock = threading.RLock()
        self.recorder: Recorder | None = None
        self.stats = CardStats()
        self.faults = CardFaults(control)
        self.real_fsync = real_fsync
        super().__init__(name, BASE_VFS, makedefault=True)

    def xOpen(self, name: str | apsw.URIFilename | None, flags: list[int]) -> VolatileFile:
        return VolatileFile(self, name, flags)


_installed: VolatileCard | None = None


def install() -> VolatileCard:
    """Make the volatile card SQLite's default VFS in this process (idempotent)."""
    global _installed
    if _installed is None:
        control = os.environ.get("COFFEEPAY_SD_CONTROL")
        _installed = VolatileCard(real_fsync=os.environ.get("COFFEEPAY_SD_FSYNC") == "1",
                                  control=Path(control) if control else None)
    return _installed


def uninstall() -> None:
    """Restore SQLite's own default VFS (for tests that install the card in-process)."""
    global _installed
    if _installed is not None:
        _installed.unregister()
        _installed = None
