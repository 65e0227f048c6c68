"""serial.lost_reply — the brew board's reply never reaches the Pi."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.board_fault import SerialFault
from rig.faults.registry import register


@register
@dataclass
class SerialLostReply(SerialFault):
    kind = "serial.lost_reply"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "serial"
    description = ("the next `count` replies with verb `verb` (ACK, DONE, RESULT, ...; none: "
                   "any) are lost; `executed` false drops the command before the board acts")
    board_fault = "lost_reply"
    verb: str | None = "ACK"
    count: int = 1
    executed: bool = True

    def board_args(self, rng: random.Random) -> list[dict[str, Any]]:
        return [{"verb": self.verb, "count": self.count, "executed": self.executed}]
