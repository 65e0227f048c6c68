"""Errors of the emulated brew board."""

from __future__ import annotations


class BrewBoardEmulatorError(Exception):
    """Base class for the emulated board's failures."""


class CommandError(BrewBoardEmulatorError, ValueError):
    """A received line is not a valid command.

    ``code`` is the ERR code the board answers with; ``tag`` is the command's tag when it
    could be read from an otherwise intact line, else None.
    """

    def __init__(self, code: str, message: str, line: bytes, tag: int | None = None):
        super().__init__(f"{code}: {message} in line {line!r}")
        self.code = code
        self.line = line
        self.tag = tag


class FlashError(BrewBoardEmulatorError):
    """The board's non-volatile log file is unreadable or inconsistent."""


class FaultConfigError(BrewBoardEmulatorError, ValueError):
    """A fault was asked for by an unknown name or with invalid parameters."""


class BoardCrashed(BrewBoardEmulatorError):
    """The board's thread died; the cause is chained."""
