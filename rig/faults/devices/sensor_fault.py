"""Common ground of the I2C faults: which chip of the sensor board, and its fault switch.

The sensor emulators keep a set of active faults per chip (``inject``/``heal``); a fault
kind here is one member of that set on one chip, so heal clears exactly what fire set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from emulators.sensors import DeviceFault
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.hardware.sensor_board import CHIPS


@dataclass
class SensorFault(Fault):
    hardware: ClassVar[frozenset[str]] = frozenset({"sensor_faults"})
    device_fault: ClassVar[DeviceFault]
    device: str = "tmp102"

    def __post_init__(self) -> None:
        self.require(self.device in CHIPS, f"device must be one of {', '.join(CHIPS)}; "
                                             f"got {self.device!r}")

    def fire(self, ctx: FaultContext) -> None:
        ctx.machine.sensor_faults.inject_chip(self.device, self.device_fault)

    def heal(self, ctx: FaultContext) -> None:
        ctx.machine.sensor_faults.heal_chip(self.device, self.device_fault)
