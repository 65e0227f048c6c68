"""Board timeout: the serial link goes dead for ``duration`` seconds or until healed.

Lines received meanwhile are dropped unprocessed and nothing is sent, like a hung UART.
A brew already running still completes; its DONE/FAIL is lost, its NV entry is written,
so QUERY tells the outcome once the board talks again.
"""

from __future__ import annotations

import math

from emulators.brewboard.errors import FaultConfigError
from emulators.brewboard.faults.base import BoardFault
from emulators.brewboard.faults.registry import register


@register("silence")
class Silence(BoardFault):
    """Neither receive nor send for ``duration`` seconds (None: until healed)."""

    def __init__(self, duration: float | None = None):
        super().__init__(None)
        if duration is not None and not (duration > 0 and math.isfinite(duration)):
            raise FaultConfigError(f"silence: duration must be positive seconds or None, "
                                   f"got {duration!r}")
        self.duration = duration
        self.until = math.inf

    def on_inject(self, now: float) -> None:
        if self.duration is not None:
            self.until = now + self.duration

    def on_rx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        return None if now < self.until else line

    def on_tx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        return None if now < self.until else line

    def spent(self, now: float) -> bool:
        return now >= self.until

    def changes_at(self) -> float:
        return self.until

    def describe(self) -> str:
        length = "until healed" if self.duration is None else f"{self.duration} s"
        return f"{self.name} ({length})"
