"""Sensor boards: the emulated I2C bus served on a Unix socket."""

from __future__ import annotations

from typing import Any

from emulators.sensors import serve_board
from rig.hardware.protocols import Part
from rig.hardware.registry import PartContext, register
from rig.hardware.sensor_board import SensorBoardControls


@register("sensors", "emulated-bus")
class EmulatedSensorBus(Part, SensorBoardControls):
    def __init__(self, ctx: PartContext, interval: float = 0.2) -> None:
        self.server, self.board = serve_board(str(ctx.sockdir / "i2c.sock"))
        self.interval = interval

    def config(self) -> dict[str, Any]:
        return {"bus": self.server.spec, "interval": self.interval}

    def describe(self) -> dict[str, str]:
        return {"driver": "rig socket bus", "device": self.server.spec}

    def close(self) -> None:
        self.server.close()
