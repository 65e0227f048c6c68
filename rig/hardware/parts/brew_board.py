"""Brew board: the emulated board on a pseudo-terminal, with its flash and dispense log."""

from __future__ import annotations

from typing import Any

from emulators.brewboard import EmulatedBrewBoard
from rig.hardware.registry import PartContext, register


@register("brew", "emulated-board")
class EmulatedBoardPart:
    def __init__(self, ctx: PartContext, time_scale: float = 0.01) -> None:
        self.board = EmulatedBrewBoard(ctx.workdir / "brewboard-flash.json",
                                       time_scale=time_scale,
                                       dispense_log_path=ctx.workdir / "dispenses.jsonl")

    def config(self) -> dict[str, Any]:
        return {"port": self.board.port, "timeout": 30.0}

    def close(self) -> None:
        self.board.close()
