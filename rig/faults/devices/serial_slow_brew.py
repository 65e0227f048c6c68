"""serial.slow_brew — the board's running brew does not finish until healed (BUSY meanwhile)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.board_fault import SerialFault
from rig.faults.registry import register


@register
@dataclass
class SerialSlowBrew(SerialFault):
    kind = "serial.slow_brew"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "serial"
    description = ("the brew the board is dispensing does not finish until healed: the "
                   "board answers BUSY, QUERY says RUNNING; healed, the brew completes")
    board_fault = "slow_brew"

    def board_args(self, rng: random.Random) -> list[dict[str, Any]]:
        return [{}]
