"""power.flap_at_boot — the power flickers while the Pi boots, then stays on."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class FlapAtBoot(Fault):
    hardware = frozenset({"firmware_host"})
    kind = "power.flap_at_boot"
    # Flickers during fire and stays on; counted off until heal (the timeline has no end).
    effects = frozenset({Effect.CUTS_POWER})
    family = "power"
    description = ("power on and cut again `cycles` times, each after a random on-time up to "
                   "`max_on_seconds` (mid-boot), then leave the power on")
    cycles: int = 3
    max_on_seconds: float = 0.4
    off_seconds: float = 0.05

    def __post_init__(self) -> None:
        self.require(self.cycles >= 1, "cycles must be >= 1")
        self.require(self.max_on_seconds > 0 and self.off_seconds >= 0,
                     "max_on_seconds must be > 0 and off_seconds >= 0")

    def fire(self, ctx: FaultContext) -> None:
        m = ctx.machine
        m.strategy.transition("off")
        for _ in range(self.cycles):
            m.host.power_on()
            time.sleep(ctx.rng.uniform(0.0, self.max_on_seconds))
            m.power_cut()
            time.sleep(self.off_seconds)

    def heal(self, ctx: FaultContext) -> None:
        ctx.machine.strategy.transition("booted")
