"""i2c.missing — a chip is absent from the bus (ENXIO), optionally from the next boot on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulators.sensors import DeviceFault
from rig.effects import Effect
from rig.faults.context import FaultContext
from rig.faults.devices.sensor_fault import SensorFault
from rig.faults.registry import register


@register
@dataclass
class I2cMissing(SensorFault):
    hardware = frozenset({"sensor_faults", "firmware_host"})
    kind = "i2c.missing"
    # With at_boot a power cycle: off from fire, on again at booted (the chip stays absent).
    effects = frozenset({Effect.DEVICE_ONLY, Effect.CUTS_POWER})
    ends_on = frozenset({"booted"})
    family = "i2c"
    description = ("`device` is absent from the bus; with `at_boot` the Pi is power-cycled "
                   "so the firmware boots without it")
    device_fault = DeviceFault.MISSING
    at_boot: bool = False

    @classmethod
    def effects_of(cls, params: dict[str, Any]) -> frozenset[Effect]:
        return cls.effects if params.get("at_boot") else frozenset({Effect.DEVICE_ONLY})

    def fire(self, ctx: FaultContext) -> None:
        m = ctx.machine
        if not self.at_boot:
            super().fire(ctx)
            return
        m.strategy.transition("off")
        super().fire(ctx)
        m.strategy.transition("booted")
        ctx.timeline.record(m, self.kind, "booted", self.params(),
                            note=f"the firmware booted with {self.device} missing")
