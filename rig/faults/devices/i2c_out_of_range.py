"""i2c.out_of_range — a chip reports a physically implausible value."""

from __future__ import annotations

from dataclasses import dataclass

from emulators.sensors import DeviceFault
from rig.effects import Effect
from rig.faults.devices.sensor_fault import SensorFault
from rig.faults.registry import register


@register
@dataclass
class I2cOutOfRange(SensorFault):
    kind = "i2c.out_of_range"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "i2c"
    description = ("`device` reports its model's implausible reading: tmp102 180 °C, "
                   "ina219 25 A (overflow), status_mcu water level 255 %")
    device_fault = DeviceFault.OUT_OF_RANGE
