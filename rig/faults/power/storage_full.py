"""power.storage_full — the SD card has no room left for the store to grow."""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class StorageFull(Fault):
    hardware = frozenset({"firmware_host", "storage_faults"})
    kind = "power.storage_full"
    effects = frozenset({Effect.FILLS_STORAGE})
    family = "power"
    description = "the SD card is full: writes that would grow the store fail (SQLITE_FULL)"
    free_bytes: int = 0

    def __post_init__(self) -> None:
        self.require(self.free_bytes >= 0, "free_bytes must be >= 0")

    def fire(self, ctx: FaultContext) -> None:
        db = ctx.machine.workdir / "sdcard" / "machine.db"
        size = db.stat().st_size if db.exists() else 0
        ctx.machine.storage.arm_sdcard(quota_bytes=size + self.free_bytes)

    def heal(self, ctx: FaultContext) -> None:
        ctx.machine.storage.arm_sdcard()
