"""Ground truth: every coffee the board physically dispensed, append-only.

The rig's oracle trusts this list and never the firmware's account. When given a path the
log is also appended there as JSON lines (flushed and fsynced per record), so a re-created
board object continues the same history.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from emulators.brewboard.errors import FlashError


@dataclass(frozen=True)
class DispenseRecord:
    """One completed coffee. ``seq`` is the board's lifetime dispense counter (1-based)."""

    seq: int
    brew_id: int
    product_id: int
    started_at: float
    ended_at: float

    @classmethod
    def from_dict(cls, data: dict[str, object], where: str) -> DispenseRecord:
        try:
            record = cls(**data)  # type: ignore[arg-type]
        except TypeError as exc:
            raise FlashError(f"{where}: dispense record {data!r} has wrong fields: {exc}") from exc
        if not all(isinstance(getattr(record, f), int) for f in ("seq", "brew_id", "product_id")):
            raise FlashError(f"{where}: dispense record {data!r} needs integer ids")
        return record


class DispenseLog:
    """Thread-safe, append-only list of ``DispenseRecord``."""

    def __init__(self, path: str | Path | None = None):
        self._lock = threading.Lock()
        self._records: list[DispenseRecord] = []
        self._path = Path(path) if path is not None else None
        if self._path is not None and self._path.exists():
            self._records = list(self._load(self._path))

    @staticmethod
    def _load(path: Path) -> Iterable[DispenseRecord]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FlashError(f"{path}:{number}: not JSON: {exc}") from exc
            if not isinstance(data, dict):
                raise FlashError(f"{path}:{number}: expected an object, got {data!r}")
            yield DispenseRecord.from_dict(data, f"{path}:{number}")

    def append(self, record: DispenseRecord) -> None:
        """Add one dispense (and persist it first when the log has a file)."""
        with self._lock:
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(asdict(record), sort_keys=True) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
            self._records.append(record)

    def records(self) -> tuple[DispenseRecord, ...]:
        """A snapshot of every dispense so far, oldest first."""
        with self._lock:
            return tuple(self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def to_json(self) -> str:
        """The whole log as a JSON array (for reports and the oracle)."""
        return json.dumps([asdict(r) for r in self.records()], sort_keys=True)

    @staticmethod
    def from_json(text: str) -> tuple[DispenseRecord, ...]:
        """Parse what ``to_json`` wrote."""
        data = json.loads(text)
        if not isinstance(data, list):
            raise FlashError(f"dispense log JSON must be an array, got {type(data).__name__}")
        return tuple(DispenseRecord.from_dict(item, f"entry {i}") for i, item in enumerate(data))
