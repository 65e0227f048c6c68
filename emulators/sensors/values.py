"""Validation of values the rig scripts into emulated chips."""

from __future__ import annotations

import math

from emulators.sensors.errors import InvalidValueError


def finite(model: str, what: str, value: float) -> float:
    """``value`` as a float; NaN, infinities and non-numbers are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(f"{model}: {what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidValueError(f"{model}: {what} must be finite, got {value!r}")
    return float(value)


def byte(model: str, what: str, value: int) -> int:
    """``value`` if it fits an unsigned 8-bit register."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise InvalidValueError(
            f"{model}: {what} must be an integer 0..255 (one register byte), got {value!r}")
    return value


def round_half_up(x: float) -> int:
    """Nearest integer, halves away from minus infinity (an ADC's rounding, not banker's)."""
    return math.floor(x + 0.5)
