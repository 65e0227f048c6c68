"""Brew board: the emulated board on a pseudo-terminal, with its flash and dispense log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from emulators.brewboard import BoardFault, EmulatedBrewBoard
from rig.hardware.protocols import BoardFaults, DispenseWitness, Part
from rig.hardware.registry import PartContext, register


@register("brew", "emulated-board")
class EmulatedBoardPart(Part, DispenseWitness, BoardFaults):
    def __init__(self, ctx: PartContext, time_scale: float = 0.01) -> None:
        self.board = EmulatedBrewBoard(ctx.workdir / "brewboard-flash.json",
                                       time_scale=time_scale,
                                       dispense_log_path=ctx.workdir / "dispenses.jsonl")

    def config(self) -> dict[str, Any]:
        return {"port": self.board.port, "timeout": 30.0}

    def describe(self) -> dict[str, str]:
        return {"driver": "pyserial", "device": f"{self.board.port} (emulated board)"}

    def dispenses(self) -> list[dict[str, Any]]:
        return [asdict(d) for d in self.board.dispenses.records()]

    def inject(self, fault: BoardFault) -> BoardFault:
        return self.board.inject(fault)

    def heal(self, name: str | None = None) -> int:
        return self.board.heal(name)

    def close(self) -> None:
        self.board.close()
