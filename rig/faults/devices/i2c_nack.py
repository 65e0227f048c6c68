"""i2c.nack — a chip stops acknowledging its address (the firmware sees EREMOTEIO)."""

from __future__ import annotations

from dataclasses import dataclass

from emulators.sensors import DeviceFault
from rig.effects import Effect
from rig.faults.devices.sensor_fault import SensorFault
from rig.faults.registry import register


@register
@dataclass
class I2cNack(SensorFault):
    kind = "i2c.nack"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "i2c"
    description = "`device` (tmp102 | ina219 | status_mcu) NACKs its address until healed"
    device_fault = DeviceFault.NACK
