"""Sensor boards: the emulated I2C bus served on a Unix socket."""

from __future__ import annotations

from typing import Any

from emulators.sensors import serve_board
from rig.hardware.registry import PartContext, register


@register("sensors", "emulated-bus")
class EmulatedSensorBus:
    def __init__(self, ctx: PartContext) -> None:
        self.server, self.board = serve_board(str(ctx.sockdir / "i2c.sock"))

    def config(self) -> dict[str, Any]:
        return {"bus": self.server.spec, "interval": 0.2}

    def close(self) -> None:
        self.server.close()
