"""Settings of the sensor monitor: addresses, board constants, limits, stuck thresholds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from firmware.sensors.errors import SensorConfigError


@dataclass(frozen=True)
class Range:
    """Inclusive plausible range of a quantity."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise SensorConfigError(f"range [{self.low}, {self.high}] must be finite with "
                                    f"low < high")

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class SensorLimits:
    """Readings outside these are out of range.

    The boiler's upper bound stays below 127.9 °C, where a TMP102 left in normal mode
    saturates, so an overheat is caught even before the driver re-enables extended mode.
    """

    boiler_c: Range = Range(-10.0, 120.0)
    heater_a: Range = Range(-0.2, 10.0)
    bus_v: Range = Range(21.0, 27.0)
    water_pct: Range = Range(0.0, 100.0)
    beans_pct: Range = Range(0.0, 100.0)


def _address(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0x03 <= value <= 0x77:
        raise SensorConfigError(f"{name} must be a 7-bit address 0x03..0x77, got {value!r}")


@dataclass(frozen=True)
class MonitorConfig:
    """``stuck_reads``: reads in a row with an unmoved heartbeat (status MCU) or without a
    completed conversion (INA219) that make a stuck fault. ``temperature_stuck_reads``:
    reads in a row with the identical raw temperature while the heater draws at least
    ``heater_on_a``. ``min_water_pct``: water level below which brewing is refused."""

    tmp102_address: int = 0x48
    ina219_address: int = 0x40
    status_mcu_address: int = 0x42
    shunt_ohms: float = 0.01
    max_expected_a: float = 8.0
    limits: SensorLimits = field(default_factory=SensorLimits)
    stuck_reads: int = 3
    temperature_stuck_reads: int = 5
    heater_on_a: float = 0.5
    min_water_pct: float = 5.0

    def __post_init__(self) -> None:
        _address("tmp102_address", self.tmp102_address)
        _address("ina219_address", self.ina219_address)
        _address("status_mcu_address", self.status_mcu_address)
        addresses = (self.tmp102_address, self.ina219_address, self.status_mcu_address)
        if len(set(addresses)) != 3:
            raise SensorConfigError(f"sensor addresses must differ, got "
                                    f"{', '.join(f'0x{a:02x}' for a in addresses)}")
        for name in ("stuck_reads", "temperature_stuck_reads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise SensorConfigError(f"{name} must be an integer >= 2, got {value!r}")
        if not (math.isfinite(self.heater_on_a) and self.heater_on_a > 0):
            raise SensorConfigError(f"heater_on_a must be > 0 A, got {self.heater_on_a!r}")
        if not 0 <= self.min_water_pct <= 100:
            raise SensorConfigError(f"min_water_pct must be 0..100, got {self.min_water_pct!r}")
