"""Sensor boards: the emulated I2C bus served on a Unix socket."""

from __future__ import annotations

from typing import Any

from emulators.sensors import DeviceFault, serve_board
from rig.hardware.protocols import Part, ProductPanel, SensorFaults, SensorValues
from rig.hardware.registry import PartContext, register


@register("sensors", "emulated-bus")
class EmulatedSensorBus(Part, ProductPanel, SensorValues, SensorFaults):
    def __init__(self, ctx: PartContext, interval: float = 0.2) -> None:
        self.server, self.board = serve_board(str(ctx.sockdir / "i2c.sock"))
        self.interval = interval

    def config(self) -> dict[str, Any]:
        return {"bus": self.server.spec, "interval": self.interval}

    def describe(self) -> dict[str, str]:
        return {"driver": "rig socket bus", "device": self.server.spec}

    def select_product(self, product: int) -> None:
        self.board.status_mcu.select_product(product)

    def set_temperature(self, celsius: float) -> None:
        self.board.tmp102.set_temperature(celsius)

    def inject_chip(self, chip: str, fault: DeviceFault) -> None:
        getattr(self.board, chip).inject(fault)

    def heal_chip(self, chip: str, fault: DeviceFault | None = None) -> None:
        getattr(self.board, chip).heal(fault)

    def close(self) -> None:
        self.server.close()
