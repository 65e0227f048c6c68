"""Common ground of the serial faults: an emulated brew-board fault, built and removed.

Parameters are checked by building the board's own fault object once at validation, so
the rig and the board never disagree on what is allowed. Heal removes every active board
fault of that name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

from emulators.brewboard import BoardFault, FaultConfigError, make_fault
from rig.faults.base import Fault, FaultError
from rig.faults.context import FaultContext


@dataclass
class SerialFault(Fault):
    hardware: ClassVar[frozenset[str]] = frozenset({"board_faults"})
    board_fault: ClassVar[str]      # the brew board's fault name (emulators.brewboard.FAULTS)

    def __post_init__(self) -> None:
        self.board_faults(random.Random(0))

    def board_args(self, rng: random.Random) -> list[dict[str, Any]]:
        """Keyword arguments of each board fault to inject (one per list entry)."""
        raise NotImplementedError

    def board_faults(self, rng: random.Random) -> list[BoardFault]:
        try:
            return [make_fault(self.board_fault, **args) for args in self.board_args(rng)]
        except FaultConfigError as e:
            raise FaultError(f"{self.kind}: {e}") from e

    def fire(self, ctx: FaultContext) -> None:
        for fault in self.board_faults(ctx.rng):
            ctx.machine.brew_faults.inject(fault)

    def heal(self, ctx: FaultContext) -> None:
        ctx.machine.brew_faults.heal(self.board_fault)
