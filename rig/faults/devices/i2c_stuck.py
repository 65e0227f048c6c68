"""i2c.stuck — a chip still answers, but its readings froze."""

from __future__ import annotations

from dataclasses import dataclass

from emulators.sensors import DeviceFault
from rig.effects import Effect
from rig.faults.devices.sensor_fault import SensorFault
from rig.faults.registry import register


@register
@dataclass
class I2cStuck(SensorFault):
    kind = "i2c.stuck"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "i2c"
    description = ("`device`'s measurements freeze (no new conversions; the status MCU's "
                   "heartbeat stops) while it keeps answering on the bus")
    device_fault = DeviceFault.STUCK
