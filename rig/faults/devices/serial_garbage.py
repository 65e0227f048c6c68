"""serial.garbage — noise on the serial line damages a few lines of the brew protocol."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.context import FaultContext
from rig.faults.devices.board_fault import SerialFault
from rig.faults.registry import register

DIRECTIONS = ("tx", "rx", "both")


@register
@dataclass
class SerialGarbage(SerialFault):
    kind = "serial.garbage"
    effects = frozenset({Effect.DEVICE_ONLY})
    notes = frozenset({"drawn"})
    family = "serial"
    description = ("damage the next 1..`max_lines` lines (drawn from the run's seed) in each "
                   "`direction` (tx: board to Pi, rx: Pi to board, both), optionally only "
                   "lines starting with `verb`; `mode` corrupt flips bytes, junk prepends noise")
    board_fault = "garble"
    max_lines: int = 2
    direction: str = "both"
    mode: str = "corrupt"
    verb: str | None = None

    def __post_init__(self) -> None:
        self.require(self.max_lines >= 1, f"max_lines must be >= 1, got {self.max_lines}")
        self.require(self.direction in DIRECTIONS, f"direction must be one of "
                                                   f"{', '.join(DIRECTIONS)}; got "
                                                   f"{self.direction!r}")
        super().__post_init__()

    def board_args(self, rng: random.Random) -> list[dict[str, Any]]:
        directions = ("tx", "rx") if self.direction == "both" else (self.direction,)
        return [{"rng": random.Random(rng.getrandbits(64)), "mode": self.mode,
                 "direction": d, "verb": self.verb, "count": rng.randint(1, self.max_lines)}
                for d in directions]

    def fire(self, ctx: FaultContext) -> None:
        faults = self.board_faults(ctx.rng)
        for fault in faults:
            ctx.machine.brew_faults.inject(fault)
        ctx.timeline.record(ctx.machine, self.kind, "drawn", self.params(),
                            note="; ".join(f.describe() for f in faults))
