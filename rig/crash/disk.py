"""File images on the card: which bytes each file holds after a set of operations landed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rig.crash.errors import CrashExplorationError
from rig.crash.trace import FileOp, OpKind


@dataclass
class Disk:
    """Per file, its bytes; a file no operation has reached does not exist."""

    files: dict[str, bytearray] = field(default_factory=dict)

    def copy(self) -> Disk:
        return Disk({name: bytearray(data) for name, data in self.files.items()})

    def apply(self, op: FileOp, data: bytes | None = None) -> None:
        """Land ``op`` (with ``data`` instead of its own bytes: a torn or trashed write)."""
        buf = self.files.setdefault(op.file, bytearray())
        if op.kind is OpKind.TRUNCATE:
            if op.offset < len(buf):
                del buf[op.offset:]
            else:
                buf.extend(bytes(op.offset - len(buf)))
        elif op.kind is OpKind.WRITE:
            data = op.data if data is None else data
            if op.offset > len(buf):
                buf.extend(bytes(op.offset - len(buf)))
            buf[op.offset:op.offset + len(data)] = data
        else:
            raise CrashExplorationError(f"{op.describe()}: a sync carries no data to land")

    def digest(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + len(self.files[name]).to_bytes(8, "big"))
            h.update(self.files[name])
        return h.hexdigest()

    def images(self) -> dict[str, bytes]:
        return {name: bytes(data) for name, data in self.files.items()}

    def materialise(self, directory: Path) -> None:
        """Write the files into ``directory`` (which must not hold them yet)."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            target = directory / name
            if target.exists():
                raise CrashExplorationError(f"{target}: already exists; each crash state "
                                            "needs a fresh directory")
            target.write_bytes(data)
