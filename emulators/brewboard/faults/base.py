"""What a board fault is: a stateful object the board consults at fixed hook points.

A fault kind overrides only the hooks it needs; the board calls every active fault in the
order they were injected and drops a fault once ``spent`` says so. ``count`` is how many
times the fault may fire (None: until healed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from emulators.brewboard.errors import FaultConfigError
from emulators.brewboard.replies import FailReason


@dataclass(frozen=True)
class FaultEvent:
    """One firing of a fault, for the rig's fault timeline."""

    at: float
    fault: str
    hook: str
    detail: str


class BoardFault:
    """Base class of board faults: every hook passes things through unchanged."""

    name: ClassVar[str] = "fault"

    def __init__(self, count: int | None = 1):
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise FaultConfigError(f"{self.name}: count must be a positive int or None "
                                   f"(until healed), got {count!r}")
        self.remaining = count

    def use(self) -> bool:
        """Consume one firing; False once the fault has no firings left."""
        if self.remaining is None:
            return True
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def on_inject(self, now: float) -> None:
        """Called once when injected, with the board's monotonic time."""

    def on_rx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        """A line received from the firmware (no terminator); None drops it unprocessed."""
        return line

    def on_tx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        """A line about to be sent (with terminator); None means it is never sent."""
        return line

    def on_brew_start(self, brew_id: int, product_id: int) -> FailReason | None:
        """A reason makes the accepted brew fail without dispensing."""
        return None

    def holds_brew(self) -> bool:
        """True keeps the running brew from finishing while the fault is active."""
        return False

    def spent(self, now: float) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def changes_at(self) -> float:
        """Monotonic time at which the fault changes by itself (inf: never), so the board
        wakes up for it."""
        return math.inf

    def describe(self) -> str:
        left = "until healed" if self.remaining is None else f"{self.remaining} left"
        return f"{self.name} ({left})"
