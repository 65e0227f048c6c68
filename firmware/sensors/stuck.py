"""Detecting a value that stopped moving while it should move."""

from __future__ import annotations

from collections.abc import Hashable


class StuckDetector:
    """Stuck once ``threshold`` reads in a row, taken while the value should move, showed
    the same value. Reads taken while it need not move neither count nor reset; any
    change clears the state at once. ``reset()`` forgets everything (no reading)."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._last: Hashable | None = None
        self._streak = 0

    def observe(self, value: Hashable, *, should_move: bool = True) -> bool:
        if self._last is None or value != self._last:
            self._last = value
            self._streak = 1 if should_move else 0
        elif should_move:
            self._streak += 1
        return self.stuck

    @property
    def stuck(self) -> bool:
        return self._streak >= self.threshold

    def reset(self) -> None:
        self._last = None
        self._streak = 0
