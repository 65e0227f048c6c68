"""Sensor boards on the firmware's real kernel path: smbus2 on /dev/i2c-N, through umockdev.

The chips are the emulated ones of ``emulated-bus``; the firmware opens ``/dev/i2c-N`` with
smbus2 as on the Pi, and its ioctls are answered here. The firmware's process must start
with :meth:`firmware_env` (umockdev's preload library and the testbed directory): the
dynamic loader reads ``LD_PRELOAD`` only when a program is executed, so an emulated Pi
that boots ``warm`` (forked from an interpreter started without it) cannot open the bus;
profiles with this kind boot the Pi ``cold``.

Under the preload the firmware's listing of ``/dev`` is the testbed's; devices of other parts
it finds by listing ``/dev`` (nfcpy's ``tty:NAME`` transport) are made visible there, as the
host's own nodes, with :meth:`UmockdevI2CSensors.share_devices`.
"""

from __future__ import annotations

from typing import Any

from emulators.sensors import EmulatedI2CBus, SensorBoard
from emulators.sensors.umockdev import I2CDevTestbed
from rig.hardware.protocols import (
    FirmwareEnvironment,
    Part,
    SharesDevices,
)
from rig.hardware.registry import PartContext, register
from rig.hardware.sensor_board import SensorBoardControls


@register("sensors", "umockdev-i2c")
class UmockdevI2CSensors(Part, SensorBoardControls, FirmwareEnvironment, SharesDevices):
    def __init__(self, ctx: PartContext, bus: int = 1, interval: float = 0.2) -> None:
        self.board = SensorBoard()
        self.bus = EmulatedI2CBus()
        for chip in self.board.devices():
            self.bus.attach(chip)
        self.testbed = I2CDevTestbed(self.bus, bus)
        self.interval = interval

    def config(self) -> dict[str, Any]:
        return {"bus": self.testbed.number, "interval": self.interval}

    def describe(self) -> dict[str, str]:
        return {"driver": "smbus2 i2c-dev via umockdev", "device": self.testbed.devnode}

    def firmware_env(self) -> dict[str, str]:
        return self.testbed.client_env()

    def share_devices(self, paths: list[str]) -> None:
        """Show the firmware each host device node in ``paths`` under ``/dev/`` (the NFC
        reader's ``/dev/ttyCOFFEE…`` link, the brew board's ``/dev/pts/N``) as the real
        device; other paths are ignored. Sharing a path again does nothing."""
        for path in paths:
            if path.startswith("/dev/"):
                self.testbed.share_device(path)

    def close(self) -> None:
        self.testbed.close()
