"""Sensor faults and their u16 codes for the on-chain fault report.

Code layout ``0x0SKQ``: S = sensor (1 boiler temperature, 2 heater power, 3 status MCU),
K = kind (1 nack, 2 missing, 3 out of range, 4 stuck), Q = quantity (0 = the whole
device; otherwise the measured quantity, numbered per sensor). E.g. 0x0131 = boiler
temperature out of range, 0x0340 = status MCU stuck. The table is in ``docs/sensors.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Sensor(StrEnum):
    BOILER_TEMP = "boiler_temp"
    HEATER_POWER = "heater_power"
    STATUS_MCU = "status_mcu"


class FaultKind(StrEnum):
    NACK = "nack"
    MISSING = "missing"
    OUT_OF_RANGE = "out_of_range"
    STUCK = "stuck"


class Quantity(StrEnum):
    BOILER_C = "boiler_c"
    HEATER_A = "heater_a"
    BUS_V = "bus_v"
    WATER_PCT = "water_pct"
    BEANS_PCT = "beans_pct"
    GROUNDS = "grounds"
    DOOR = "door"


SENSOR_IDS: dict[Sensor, int] = {
    Sensor.BOILER_TEMP: 0x1, Sensor.HEATER_POWER: 0x2, Sensor.STATUS_MCU: 0x3,
}
KIND_IDS: dict[FaultKind, int] = {
    FaultKind.NACK: 0x1, FaultKind.MISSING: 0x2, FaultKind.OUT_OF_RANGE: 0x3,
    FaultKind.STUCK: 0x4,
}
QUANTITY_IDS: dict[Sensor, dict[Quantity, int]] = {
    Sensor.BOILER_TEMP: {Quantity.BOILER_C: 0x1},
    Sensor.HEATER_POWER: {Quantity.HEATER_A: 0x1, Quantity.BUS_V: 0x2},
    Sensor.STATUS_MCU: {Quantity.WATER_PCT: 0x1, Quantity.BEANS_PCT: 0x2,
                        Quantity.GROUNDS: 0x3, Quantity.DOOR: 0x4},
}


def fault_code(sensor: Sensor, kind: FaultKind, quantity: Quantity | None = None) -> int:
    """The u16 code of a fault; ``quantity`` must belong to ``sensor``."""
    if quantity is None:
        q = 0
    else:
        try:
            q = QUANTITY_IDS[sensor][quantity]
        except KeyError:
            raise ValueError(f"quantity {quantity} is not measured by {sensor}") from None
    return SENSOR_IDS[sensor] << 8 | KIND_IDS[kind] << 4 | q


def describe_fault_code(code: int) -> tuple[Sensor, FaultKind, Quantity | None]:
    """Inverse of :func:`fault_code`, for reports and service tooling."""
    sensors = {v: k for k, v in SENSOR_IDS.items()}
    kinds = {v: k for k, v in KIND_IDS.items()}
    s, k, q = code >> 8, (code >> 4) & 0xF, code & 0xF
    if not 0 <= code <= 0xFFFF or s not in sensors or k not in kinds:
        raise ValueError(f"0x{code:04x} is not a sensor fault code")
    sensor, kind = sensors[s], kinds[k]
    if q == 0:
        return sensor, kind, None
    quantities = {v: key for key, v in QUANTITY_IDS[sensor].items()}
    if q not in quantities:
        raise ValueError(f"0x{code:04x}: quantity {q} is not measured by {sensor}")
    return sensor, kind, quantities[q]


@dataclass(frozen=True)
class SensorFault:
    """One active fault. Equality ignores ``detail`` (it carries the changing value), so
    the same fault read twice is the same fault."""

    sensor: Sensor
    kind: FaultKind
    code: int
    detail: str = field(compare=False)
    quantity: Quantity | None = None

    @classmethod
    def of(cls, sensor: Sensor, kind: FaultKind, detail: str,
           quantity: Quantity | None = None) -> SensorFault:
        return cls(sensor, kind, fault_code(sensor, kind, quantity), detail, quantity)
