"""Turns the serial byte stream into lines with a deadline.

Junk without a newline must not grow the buffer forever nor swallow the next good reply
for long, so an overlong run is dropped up to the next newline and counted.
"""

from __future__ import annotations

import time
from typing import Protocol


class SerialLike(Protocol):
    """The part of ``serial.Serial`` the reader uses; its ``timeout`` is the poll tick."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...


class LineReader:
    """Reads ``\\n``-terminated lines of at most ``max_line`` bytes from a serial port."""

    def __init__(self, port: SerialLike, max_line: int):
        self._port = port
        self._max = max_line + 1  # allows one optional "\r"
        self._buf = bytearray()
        self._discarding = False
        self.overlong = 0

    def read_line(self, deadline: float) -> bytes | None:
        """Next complete line (without ``\\n``), or None once ``time.monotonic()`` passes
        ``deadline``. Returns buffered lines even after the deadline."""
        while True:
            line = self._take()
            if line is not None:
                return line
            if time.monotonic() >= deadline:
                return None
            chunk = self._port.read(max(1, self._port.in_waiting))
            self._buf += chunk

    def _take(self) -> bytes | None:
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > self._max:
                    if not self._discarding:
                        self.overlong += 1
                    self._discarding = True
                    self._buf.clear()
                return None
            line = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if self._discarding:
                self._discarding = False
                continue
            if len(line) > self._max:
                self.overlong += 1
                continue
            return line
