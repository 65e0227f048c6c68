"""Counters of the serial link, so a noisy cable shows up in the firmware's health report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LinkStats:
    """What the client sent and what it had to throw away.

    ``garbled`` counts lines that failed to decode, by ``BrewCodecError.kind``; ``foreign``
    counts well-formed replies meant for another request (late or duplicate answers).
    """

    sent: int = 0
    resent: int = 0
    accepted: int = 0
    foreign: int = 0
    overlong: int = 0
    board_errors: int = 0
    garbled: Counter[str] = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        """Every received line that was not used."""
        return self.foreign + self.overlong + self.board_errors + sum(self.garbled.values())
