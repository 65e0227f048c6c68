"""Garbled line: noise corrupts a line on the wire, or junk bytes precede it.

``direction="tx"`` hits the board's next reply, ``"rx"`` the next command it receives
(the board then answers ``ERR - CHECKSUM`` or similar). Randomness comes only from the
caller's ``random.Random`` so a run replays from its seed.
"""

from __future__ import annotations

import random

from emulators.brewboard.errors import FaultConfigError
from emulators.brewboard.faults.base import BoardFault
from emulators.brewboard.faults.registry import register

MODES = ("corrupt", "junk")
DIRECTIONS = ("tx", "rx")


@register("garble")
class Garble(BoardFault):
    """Damage the next ``count`` lines (optionally only those starting with ``verb``).

    ``corrupt`` changes ``n_bytes`` bytes of the line (never its terminator) to other
    values; ``junk`` puts ``junk_len`` random bytes in front of it.
    """

    def __init__(self, rng: random.Random, mode: str = "corrupt", direction: str = "tx",
                 verb: str | None = None, count: int | None = 1, n_bytes: int = 1,
                 junk_len: int = 8):
        super().__init__(count)
        if not isinstance(rng, random.Random):
            raise FaultConfigError(f"garble: rng must be a random.Random, got {rng!r}")
        if mode not in MODES or direction not in DIRECTIONS:
            raise FaultConfigError(f"garble: mode must be one of {MODES} and direction one "
                                   f"of {DIRECTIONS}, got {mode!r}/{direction!r}")
        if n_bytes < 1 or junk_len < 1:
            raise FaultConfigError(f"garble: n_bytes ({n_bytes}) and junk_len ({junk_len}) "
                                   f"must be at least 1")
        self.rng, self.mode, self.direction, self.verb = rng, mode, direction, verb
        self.n_bytes, self.junk_len = n_bytes, junk_len

    def _damage(self, line: bytes, verb: str) -> bytes:
        if (self.verb is not None and verb != self.verb) or not self.use():
            return line
        if self.mode == "junk":
            return bytes(self.rng.randrange(256) for _ in range(self.junk_len)) + line
        body = bytearray(line.removesuffix(b"\n"))
        if not body:
            return line
        for pos in self.rng.sample(range(len(body)), min(self.n_bytes, len(body))):
            body[pos] ^= self.rng.randrange(1, 256)
        return bytes(body) + line[len(body):]

    def on_rx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        return self._damage(line, verb) if self.direction == "rx" else line

    def on_tx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        return self._damage(line, verb) if self.direction == "tx" else line

    def describe(self) -> str:
        return f"{super().describe()}: {self.mode} {self.direction} {self.verb or 'any'}"
