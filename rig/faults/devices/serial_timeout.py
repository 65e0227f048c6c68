"""serial.timeout — the brew board goes silent (a hung UART) for a while or until healed."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.board_fault import SerialFault
from rig.faults.registry import register


@register
@dataclass
class SerialTimeout(SerialFault):
    kind = "serial.timeout"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "serial"
    description = ("the brew board neither receives nor sends for `seconds` (none: until "
                   "healed); a brew already running still finishes, its report is lost")
    board_fault = "silence"
    seconds: float | None = None

    def __post_init__(self) -> None:
        self.require(self.seconds is None or (math.isfinite(self.seconds) and self.seconds > 0),
                     f"seconds must be a finite number > 0 or null (until healed), "
                     f"got {self.seconds}")
        super().__post_init__()

    def board_args(self, rng: random.Random) -> list[dict[str, Any]]:
        return [{"duration": self.seconds}]
