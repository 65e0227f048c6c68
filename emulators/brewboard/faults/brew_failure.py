"""Brew failure: the next accepted brew(s) fail after ACK (no water, no beans, ...).

Nothing is dispensed; the board reports ``FAIL <id> <product> <reason>`` and logs it.
"""

from __future__ import annotations

from emulators.brewboard.errors import FaultConfigError
from emulators.brewboard.faults.base import BoardFault
from emulators.brewboard.faults.registry import register
from emulators.brewboard.replies import FailReason


@register("brew_failure")
class BrewFailure(BoardFault):
    """Fail the next ``count`` brews with ``reason``."""

    def __init__(self, reason: str = FailReason.NO_WATER, count: int | None = 1):
        super().__init__(count)
        try:
            self.reason = FailReason(reason)
        except ValueError as exc:
            raise FaultConfigError(f"brew_failure: reason {reason!r} is not one of "
                                   f"{', '.join(FailReason)}") from exc

    def on_brew_start(self, brew_id: int, product_id: int) -> FailReason | None:
        return self.reason if self.use() else None

    def describe(self) -> str:
        return f"{super().describe()}: {self.reason}"


@register("no_water")
class NoWater(BrewFailure):
    """The water tank is empty: the next ``count`` brews fail with NO_WATER."""

    def __init__(self, count: int | None = 1):
        super().__init__(FailReason.NO_WATER, count)
