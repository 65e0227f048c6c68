"""The firmware's side of the brew board: serial client and its own protocol codec.

See ``docs/brew-board-protocol.md`` for the wire protocol.
"""

from firmware.brew.client import BrewBoard
from firmware.brew.errors import (
    BrewBoardClosed,
    BrewBoardError,
    BrewBoardProtocolError,
    BrewBoardTimeout,
    BrewBoardUnavailable,
    BrewCodecError,
)
from firmware.brew.messages import BoardStatus
from firmware.brew.outcome import BrewOutcome, BrewState
from firmware.brew.stats import LinkStats

__all__ = [
    "BoardStatus",
    "BrewBoard",
    "BrewBoardClosed",
    "BrewBoardError",
    "BrewBoardProtocolError",
    "BrewBoardTimeout",
    "BrewBoardUnavailable",
    "BrewCodecError",
    "BrewOutcome",
    "BrewState",
    "LinkStats",
]
