"""The board's flash: the last N brew ids with outcomes, plus lifetime counters.

It is what lets the firmware ask after a reboot what happened to brew N. Every change
rewrites the file atomically (temp file, fsync, rename, fsync of the directory) so a cut
never leaves half a log. ``high_water`` (largest id ever accepted) and ``evicted_through``
(largest id dropped for space) survive eviction, so an id that was forgotten is answered
EXPIRED instead of UNKNOWN and is never brewed again.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from emulators.brewboard.errors import FlashError
from emulators.brewboard.replies import FailReason

FORMAT = "coffeepay-brewboard-nv/1"
STATES = ("RUNNING", "DONE", "FAIL")


@dataclass
class NvEntry:
    """One brew id's record: RUNNING from the start, then DONE or FAIL."""

    brew_id: int
    product_id: int
    state: str
    reason: str | None = None
    dispense_no: int | None = None


class NvLog:
    """Non-volatile brew log of ``capacity`` entries kept in the file at ``path``."""

    def __init__(self, path: str | Path, capacity: int = 32):
        if capacity < 1:
            raise ValueError(f"NV log capacity must be at least 1, got {capacity}")
        self.path = Path(path)
        self.capacity = capacity
        self.entries: OrderedDict[int, NvEntry] = OrderedDict()
        self.high_water = 0
        self.evicted_through = 0
        self.resets = 0
        self.dispensed = 0
        if self.path.exists():
            self._load()
            self._evict()

    # -- queries ------------------------------------------------------------------------

    def lookup(self, brew_id: int) -> NvEntry | None:
        return self.entries.get(brew_id)

    def forgotten(self, brew_id: int) -> bool:
        """True when ``brew_id`` is not logged but may have been, before eviction."""
        return brew_id not in self.entries and brew_id <= self.evicted_through

    # -- changes (each one persisted before returning) -----------------------------------

    def boot(self) -> list[NvEntry]:
        """Count a reset; brews left RUNNING by a power loss become FAIL POWER_LOSS."""
        interrupted = [e for e in self.entries.values() if e.state == "RUNNING"]
        for entry in interrupted:
            entry.state, entry.reason = "FAIL", "POWER_LOSS"
        self.resets += 1
        self.save()
        return interrupted

    def start(self, brew_id: int, product_id: int) -> NvEntry:
        if brew_id <= self.high_water:
            raise FlashError(f"brew id {brew_id} is not above the high-water mark "
                             f"{self.high_water}; refusing to log it twice")
        entry = NvEntry(brew_id, product_id, "RUNNING")
        self.entries[brew_id] = entry
        self.high_water = brew_id
        self._evict()
        self.save()
        return entry

    def finish(self, brew_id: int, state: str, reason: str | None = None) -> NvEntry:
        entry = self.entries[brew_id]
        if state == "DONE":
            self.dispensed += 1
            entry.dispense_no = self.dispensed
        entry.state, entry.reason = state, reason
        self.save()
        return entry

    def save(self) -> None:
        data = {
            "format": FORMAT, "capacity": self.capacity, "high_water": self.high_water,
            "evicted_through": self.evicted_through, "resets": self.resets,
            "dispensed": self.dispensed, "entries": [asdict(e) for e in self.entries.values()],
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with tmp.open("w", encoding="utf-8") as out:
                json.dump(data, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise FlashError(f"cannot write the board's NV log {self.path}: {exc}") from exc

    # -- internals ----------------------------------------------------------------------

    def _evict(self) -> None:
        while len(self.entries) > self.capacity:
            old_id, _ = self.entries.popitem(last=False)
            self.evicted_through = max(self.evicted_through, old_id)

    def _load(self) -> None:
        where = f"board NV log {self.path}"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FlashError(f"{where} is unreadable: {exc}; delete it to erase the "
                             f"board's flash") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise FlashError(f"{where} is not a {FORMAT} file")
        counters = ("high_water", "evicted_through", "resets", "dispensed")
        for key in counters:
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FlashError(f"{where}: {key} must be a non-negative integer, got {value!r}")
        self.high_water, self.evicted_through, self.resets, self.dispensed = (
            data[k] for k in counters)
        entries = data.get("entries")
        if not isinstance(entries, list):
            raise FlashError(f"{where}: entries must be a list")
        for raw in entries:
            entry = self._entry(raw, where)
            if entry.brew_id in self.entries or entry.brew_id > self.high_water:
                raise FlashError(f"{where}: entry {raw!r} is duplicated or above the "
                                 f"high-water mark {self.high_water}")
            self.entries[entry.brew_id] = entry

    @staticmethod
    def _entry(raw: object, where: str) -> NvEntry:
        try:
            entry = NvEntry(**raw)  # type: ignore[arg-type]
        except TypeError as exc:
            raise FlashError(f"{where}: entry {raw!r} has wrong fields: {exc}") from exc
        ok = (isinstance(entry.brew_id, int) and isinstance(entry.product_id, int)
              and entry.state in STATES
              and (entry.state == "FAIL") == (entry.reason in list(FailReason))
              and (entry.state == "DONE") == isinstance(entry.dispense_no, int))
        if not ok:
            raise FlashError(f"{where}: entry {raw!r} is inconsistent")
        return entry
