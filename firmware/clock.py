"""The machine's wall clock, injectable so the rig can move it together with chain time.

A Raspberry Pi has no battery clock: after a power cut it may boot at the epoch. Nothing on
the payment path trusts this clock; it only paces redeem intervals and logs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Clock:
    offset: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        with self._lock:
            return time.time() + self.offset

    def set(self, unix_time: float) -> None:
        with self._lock:
            self.offset = unix_time - time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds
