"""The recorded file operations of a workload, in the order SQLite issued them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from rig.crash.errors import CrashExplorationError
from rig.crash.snapshot import Snapshot


class OpKind(StrEnum):
    WRITE = "write"
    TRUNCATE = "truncate"
    SYNC = "sync"   # completed: every earlier write and truncate of the file is on the card


@dataclass(frozen=True)
class FileOp:
    index: int
    file: str        # name inside the store's directory: machine.db, machine.db-journal
    kind: OpKind
    offset: int      # a write's offset, a truncate's new size, 0 for a sync
    data: bytes      # a write's bytes, else b""
    app_op: int      # index of the application operation that issued it

    def describe(self) -> str:
        if self.kind is OpKind.WRITE:
            return f"#{self.index} write {self.file}[{self.offset}:+{len(self.data)}]"
        if self.kind is OpKind.TRUNCATE:
            return f"#{self.index} truncate {self.file} to {self.offset}"
        return f"#{self.index} sync {self.file}"


@dataclass(frozen=True)
class AppOp:
    """One call into the store. Once it returns, what it wrote is durable by contract."""

    index: int
    name: str                        # unique, e.g. "04 record_purchase r#3+credit"
    start: int                       # first trace index it issued
    end: int                         # one past its last trace index
    acknowledges: tuple[int, ...]    # receipt sequences the caller may now rely on


@dataclass
class Trace:
    """``expected[k]`` is the store as the application saw it after ``app_ops[:k]`` returned."""

    ops: list[FileOp]
    app_ops: list[AppOp]
    expected: list[Snapshot]
    defect: str | None = None

    def __post_init__(self) -> None:
        if len(self.expected) != len(self.app_ops) + 1:
            raise CrashExplorationError(
                f"trace has {len(self.app_ops)} application operations but "
                f"{len(self.expected)} expected snapshots; need one more than operations")

    def acknowledged_at(self, crash_at: int) -> int:
        """How many application operations had returned (or could have) at ``crash_at``."""
        return sum(1 for a in self.app_ops if a.end <= crash_at)

    def in_flight_at(self, crash_at: int) -> AppOp | None:
        """The operation that had issued I/O at ``crash_at`` without returning, if any."""
        k = self.acknowledged_at(crash_at)
        if k < len(self.app_ops) and self.app_ops[k].start < crash_at:
            return self.app_ops[k]
        return None

    def app_op_at(self, crash_at: int) -> str:
        """The operation a crash at ``crash_at`` interrupted, or the one that just returned."""
        if not self.app_ops:
            return "none"
        flying = self.in_flight_at(crash_at)
        if flying is not None:
            return flying.name
        k = self.acknowledged_at(crash_at)
        return self.app_ops[k - 1].name if k else self.app_ops[0].name

    @property
    def syncs(self) -> int:
        return sum(op.kind is OpKind.SYNC for op in self.ops)


@dataclass
class TraceRecorder:
    """The SD card's ``recorder``: keeps the operations on files in ``root``, tagged with the
    application operation in progress. Files elsewhere and SQLite's nameless temporary files
    never reach the card after a crash, so they are not part of any crash state."""

    root: Path
    ops: list[FileOp] = field(default_factory=list)
    current: int | None = None

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    def __call__(self, filename: str | None, op: str, arg: int, data: bytes) -> None:
        if filename is None:
            return
        path = Path(os.path.realpath(filename))
        if path.parent != self.root:
            return
        if self.current is None:
            raise CrashExplorationError(
                f"{op} of {path.name} outside any application operation: the workload read "
                "or closed the store in a way the recording cannot attribute")
        self.ops.append(FileOp(len(self.ops), path.name, OpKind(op), arg, bytes(data),
                               self.current))
