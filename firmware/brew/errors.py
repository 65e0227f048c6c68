"""Errors of the brew-board client, each saying what went wrong and where."""

from __future__ import annotations


class BrewBoardError(Exception):
    """Base class for every failure talking to the brew board."""


class BrewCodecError(BrewBoardError, ValueError):
    """A line could not be encoded or decoded.

    ``kind`` is one of ``checksum``, ``framing``, ``verb``, ``args``, ``range`` so the
    client can count garbled lines by cause without parsing messages.
    """

    def __init__(self, kind: str, message: str, line: bytes | None = None):
        shown = f" in line {line!r}" if line is not None else ""
        super().__init__(f"{message}{shown}")
        self.kind = kind
        self.line = line


class BrewBoardUnavailable(BrewBoardError):
    """The serial port could not be opened or used."""


class BrewBoardClosed(BrewBoardError):
    """A method was called after ``close()``."""


class BrewBoardTimeout(BrewBoardError):
    """The board did not answer in time.

    The outcome of the command is unknown: the board may have acted on it. ``acknowledged``
    says whether the board had ACKed the brew before going quiet (then it was accepted and
    ``query`` will tell its fate once the board talks again).
    """

    def __init__(self, port: str, sent: str, attempts: int, waited: float,
                 acknowledged: bool = False, skipped: int = 0):
        state = "after it ACKed the brew" if acknowledged else "no accepted reply"
        super().__init__(
            f"brew board on {port} did not answer {sent!r}: {state}, {attempts} attempt(s), "
            f"waited {waited:.3f} s, {skipped} unusable line(s) skipped; check the cable and "
            f"board power, then query the brew id to learn its outcome")
        self.port = port
        self.sent = sent
        self.attempts = attempts
        self.waited = waited
        self.acknowledged = acknowledged
        self.skipped = skipped


class BrewBoardProtocolError(BrewBoardError):
    """The board answered, but with something the protocol does not allow at that point."""
