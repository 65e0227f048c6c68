"""Driver of the TI INA219 that measures the heater's current and supply voltage.

Configuration: 32 V bus range, 320 mV shunt range, 12-bit conversions, shunt and bus
continuous (0x399F, the power-on value, written anyway). The calibration follows the
datasheet: the smallest current LSB covering ``max_expected_a`` in 15 bits gives
``cal = trunc(0.04096 / (lsb * R_shunt))``; the driver then uses the LSB that this
integer really yields. Every read checks the calibration register and rewrites the
configuration when it differs (never set, or the chip was reset), because an
uncalibrated INA219 reads 0 A: a heater fault would look like an idle heater.

Liveness: reading the power register clears CNVR and every completed conversion sets it,
so a CNVR still clear at the next read means the chip stopped converting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from firmware.sensors.bus import I2CBus
from firmware.sensors.errors import SensorConfigError
from firmware.sensors.words import signed16, swap16

CONFIG = 0x00
SHUNT_VOLTAGE = 0x01
BUS_VOLTAGE = 0x02
POWER = 0x03
CURRENT = 0x04
CALIBRATION = 0x05

CONFIG_VALUE = 0x399F
CNVR = 0x0002
OVF = 0x0001
BUS_LSB_V = 0.004
_CAL_SCALE = 0.04096


def calibration_for(shunt_ohms: float, max_expected_a: float) -> tuple[int, float]:
    """``(calibration register, current LSB in A)`` for a shunt and a maximum current."""
    if not (math.isfinite(shunt_ohms) and shunt_ohms > 0):
        raise SensorConfigError(f"ina219 shunt_ohms must be > 0, got {shunt_ohms!r}")
    if not (math.isfinite(max_expected_a) and max_expected_a > 0):
        raise SensorConfigError(f"ina219 max_expected_a must be > 0, got {max_expected_a!r}")
    minimum_lsb = max_expected_a / 0x7FFF
    cal = int(_CAL_SCALE / (minimum_lsb * shunt_ohms)) & 0xFFFE
    if not 2 <= cal <= 0xFFFE:
        raise SensorConfigError(
            f"ina219 calibration {cal} for shunt {shunt_ohms} ohm and {max_expected_a} A is "
            f"outside 2..65534; pick a shunt/current pair the chip can represent")
    return cal, _CAL_SCALE / (cal * shunt_ohms)


@dataclass(frozen=True)
class PowerReading:
    current_a: float
    bus_v: float
    power_w: float
    conversion_ready: bool
    """CNVR: a conversion completed since the previous read's power register read."""
    overflow: bool
    """OVF: the chip's current or power arithmetic overflowed."""


class INA219:
    def __init__(self, bus: I2CBus, address: int = 0x40, *, shunt_ohms: float = 0.01,
                 max_expected_a: float = 8.0) -> None:
        self.bus = bus
        self.address = address
        self.calibration, self.current_lsb_a = calibration_for(shunt_ohms, max_expected_a)
        self.power_lsb_w = 20 * self.current_lsb_a

    def _read(self, register: int) -> int:
        return swap16(self.bus.read_word_data(self.address, register))

    def _write(self, register: int, value: int) -> None:
        self.bus.write_word_data(self.address, register, swap16(value))

    def configure(self) -> None:
        self._write(CONFIG, CONFIG_VALUE)
        self._write(CALIBRATION, self.calibration)

    def read(self) -> PowerReading:
        if self._read(CALIBRATION) != self.calibration:
            self.configure()
        bus = self._read(BUS_VOLTAGE)
        current = signed16(self._read(CURRENT))
        power = self._read(POWER)
        return PowerReading(
            current_a=current * self.current_lsb_a,
            bus_v=(bus >> 3) * BUS_LSB_V,
            power_w=power * self.power_lsb_w,
            conversion_ready=bool(bus & CNVR),
            overflow=bool(bus & OVF),
        )
