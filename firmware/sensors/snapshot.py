"""One pass over all sensors: values in physical units, health and what blocks a brew."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from firmware.sensors.faults import Sensor, SensorFault


class SensorHealth(StrEnum):
    """A sensor's worst active fault kind, or ``ok``."""

    OK = "ok"
    OUT_OF_RANGE = "out_of_range"
    STUCK = "stuck"
    NACK = "nack"
    MISSING = "missing"


class BrewBlocker(StrEnum):
    """A brew precondition that is not met, or cannot be confirmed."""

    BOILER_FAULT = "boiler_fault"
    STATUS_UNKNOWN = "status_unknown"
    NO_WATER = "no_water"
    DOOR_OPEN = "door_open"
    GROUNDS_FULL = "grounds_full"


@dataclass(frozen=True)
class SensorSnapshot:
    """Values are None when the sensor could not be read this time.

    ``faults`` is the active set after this read, sorted by code; ``raised`` and
    ``cleared`` are the changes this read made to it, so the firmware reports a fault once
    and attests its fix once.
    """

    sequence: int
    boiler_c: float | None
    heater_a: float | None
    bus_v: float | None
    water_pct: int | None
    beans_pct: int | None
    grounds_count: int | None
    grounds_full: bool | None
    door_open: bool | None
    selected_product: int | None
    health: Mapping[Sensor, SensorHealth]
    faults: tuple[SensorFault, ...]
    raised: tuple[SensorFault, ...]
    cleared: tuple[SensorFault, ...]
    brew_blockers: tuple[BrewBlocker, ...]

    @property
    def brew_safe(self) -> bool:
        return not self.brew_blockers

    @property
    def unsafe_reason(self) -> str | None:
        """Why brewing is refused, for logs and the tap's verdict; None when safe."""
        if not self.brew_blockers:
            return None
        parts = []
        for blocker in self.brew_blockers:
            text = _REASONS[blocker]
            if blocker is BrewBlocker.BOILER_FAULT:
                codes = ", ".join(f"0x{f.code:04x}" for f in self.faults
                                  if f.sensor in (Sensor.BOILER_TEMP, Sensor.HEATER_POWER))
                text = f"{text} ({codes})"
            elif blocker is BrewBlocker.NO_WATER and self.water_pct is not None:
                text = f"{text} (water level {self.water_pct} %)"
            parts.append(text)
        return "; ".join(parts)


_REASONS = {
    BrewBlocker.BOILER_FAULT: "boiler sensors faulty",
    BrewBlocker.STATUS_UNKNOWN: "status MCU unreadable or stuck",
    BrewBlocker.NO_WATER: "no water",
    BrewBlocker.DOOR_OPEN: "door open or its switch faulty",
    BrewBlocker.GROUNDS_FULL: "grounds bin full or its sensor faulty",
}
