"""power.cut — the mains go off now (or after a delay); heal powers the machine back on."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class PowerCut(Fault):
    hardware = frozenset({"firmware_host"})
    kind = "power.cut"
    effects = frozenset({Effect.CUTS_POWER})
    family = "power"
    description = "cut the Pi's power (SIGKILL; unsynced writes lost), optionally after a delay"
    after_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.require(self.after_seconds >= 0, "after_seconds must be >= 0")

    def fire(self, ctx: FaultContext) -> None:
        if self.after_seconds == 0:
            ctx.machine.power_cut()
            return
        timer = threading.Timer(self.after_seconds, ctx.machine.power_cut)
        timer.daemon = True
        timer.start()

    def heal(self, ctx: FaultContext) -> None:
        ctx.machine.strategy.transition("booted")
