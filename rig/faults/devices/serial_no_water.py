"""serial.no_water — the next brews fail after the board accepted them (tank empty)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.board_fault import SerialFault
from rig.faults.registry import register


@register
@dataclass
class SerialNoWater(SerialFault):
    kind = "serial.no_water"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "serial"
    description = ("the next `count` accepted brews fail with NO_WATER after payment: "
                   "nothing is dispensed, the machine owes a credit")
    board_fault = "no_water"
    count: int = 1

    def __post_init__(self) -> None:
        self.require(self.count >= 1, f"count must be >= 1, got {self.count}")
        super().__post_init__()

    def board_args(self, rng: random.Random) -> list[dict[str, Any]]:
        return [{"count": self.count}]
