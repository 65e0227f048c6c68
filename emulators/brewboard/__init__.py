"""Emulated brew board: protocol v1 on a pseudo-terminal, with faults and ground truth.

See ``docs/brew-board-protocol.md``. Imports nothing from ``firmware/``.
"""

from emulators.brewboard.board import EmulatedBrewBoard
from emulators.brewboard.dispenses import DispenseLog, DispenseRecord
from emulators.brewboard.errors import (
    BoardCrashed,
    BrewBoardEmulatorError,
    CommandError,
    FaultConfigError,
    FlashError,
)
from emulators.brewboard.faults import (
    FAULTS,
    BoardFault,
    BrewFailure,
    FaultEvent,
    Garble,
    LostReply,
    NoWater,
    Silence,
    SlowBrew,
    make_fault,
)
from emulators.brewboard.nvlog import NvEntry
from emulators.brewboard.products import DEFAULT_PRODUCTS, Product
from emulators.brewboard.replies import FailReason, NakReason

__all__ = [
    "DEFAULT_PRODUCTS",
    "FAULTS",
    "BoardCrashed",
    "BoardFault",
    "BrewBoardEmulatorError",
    "BrewFailure",
    "CommandError",
    "DispenseLog",
    "DispenseRecord",
    "EmulatedBrewBoard",
    "FailReason",
    "FaultConfigError",
    "FaultEvent",
    "FlashError",
    "Garble",
    "LostReply",
    "NakReason",
    "NoWater",
    "NvEntry",
    "Product",
    "Silence",
    "SlowBrew",
    "make_fault",
]
