"""Reads every sensor, converts to physical units and keeps the set of active faults.

Fault rules, evaluated on every :meth:`SensorMonitor.read`:

- nack / missing: the driver raised ``OSError``; ENXIO and ENODEV (no device, or the wrong
  chip at the address) are ``missing``, every other errno (EREMOTEIO, EIO, ETIMEDOUT...)
  is ``nack``.
- out of range: a value outside :class:`SensorLimits`; the INA219's overflow flag; a level
  or switch that the status MCU itself flags as faulty.
- stuck: the status MCU's heartbeat, or the INA219's conversions (CNVR), unchanged over
  ``stuck_reads`` reads in a row; the TMP102's raw temperature identical over
  ``temperature_stuck_reads`` reads in a row taken while the heater draws current (a
  heated boiler's temperature moves by more than one 0.0625 °C step between polls).

Faults hold only while their evidence does: a successful, in-range, moving reading clears
them, which is what lets the firmware attest a repair.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from typing import TypeVar

from firmware.sensors.bus import I2CBus
from firmware.sensors.config import MonitorConfig, Range
from firmware.sensors.faults import FaultKind, Quantity, Sensor, SensorFault
from firmware.sensors.ina219 import INA219, PowerReading
from firmware.sensors.snapshot import BrewBlocker, SensorHealth, SensorSnapshot
from firmware.sensors.status_mcu import (
    FAULT_BEANS_SENSOR,
    FAULT_DOOR_SWITCH,
    FAULT_GROUNDS_SENSOR,
    FAULT_WATER_SENSOR,
    StatusMCU,
    StatusReading,
)
from firmware.sensors.stuck import StuckDetector
from firmware.sensors.tmp102 import TMP102, TemperatureReading

T = TypeVar("T")

_MISSING_ERRNOS = frozenset({errno.ENXIO, errno.ENODEV})
_HEALTH_ORDER = (SensorHealth.MISSING, SensorHealth.NACK, SensorHealth.STUCK,
                 SensorHealth.OUT_OF_RANGE)
_MCU_FLAGS = (
    (FAULT_WATER_SENSOR, Quantity.WATER_PCT, "water level probe"),
    (FAULT_BEANS_SENSOR, Quantity.BEANS_PCT, "bean level sensor"),
    (FAULT_GROUNDS_SENSOR, Quantity.GROUNDS, "grounds bin sensor"),
    (FAULT_DOOR_SWITCH, Quantity.DOOR, "door switch"),
)


class SensorMonitor:
    """Synchronous and thread-safe: the sensor loop calls :meth:`read` at its interval while
    the payment path asks :meth:`brewing_unsafe_reason` and :meth:`selected_product` at the
    moment of a tap. Bus access is serialised here because smbus2 selects the address and
    transfers in two ioctls, which concurrent threads could interleave."""

    def __init__(self, bus: I2CBus, config: MonitorConfig | None = None) -> None:
        self.config = config if config is not None else MonitorConfig()
        cfg = self.config
        self.tmp102 = TMP102(bus, cfg.tmp102_address)
        self.ina219 = INA219(bus, cfg.ina219_address, shunt_ohms=cfg.shunt_ohms,
                             max_expected_a=cfg.max_expected_a)
        self.status_mcu = StatusMCU(bus, cfg.status_mcu_address)
        self._temp_stuck = StuckDetector(cfg.temperature_stuck_reads)
        self._power_stuck = StuckDetector(cfg.stuck_reads)
        self._mcu_stuck = StuckDetector(cfg.stuck_reads)
        self._conversions = 0
        self._faults: tuple[SensorFault, ...] = ()
        self._last: SensorSnapshot | None = None
        self._sequence = 0
        self._lock = threading.RLock()

    @property
    def last(self) -> SensorSnapshot | None:
        return self._last

    def faults(self) -> tuple[SensorFault, ...]:
        """Active faults as of the last read, sorted by code."""
        return self._faults

    def brew_safe(self) -> bool:
        """Whether the last read allows a brew; False before the first read."""
        return self._last is not None and self._last.brew_safe

    def brewing_unsafe_reason(self) -> str | None:
        """Read every sensor now and say why a brew must not start, or None if it may.

        A fresh read, not the last poll's: the door may have opened a moment ago."""
        with self._lock:
            return self.read().unsafe_reason

    def selected_product(self) -> int | None:
        """The product chosen on the panel, read now; None if none or the MCU is unreadable
        (the MCU's faults then come up in the next read)."""
        with self._lock:
            try:
                return self.status_mcu.read_selected_product()
            except OSError:
                return None

    def read(self) -> SensorSnapshot:
        with self._lock:
            return self._read()

    def _read(self) -> SensorSnapshot:
        found: list[SensorFault] = []
        temp = self._guard(Sensor.BOILER_TEMP, self.tmp102.read, found, self._temp_stuck)
        power = self._guard(Sensor.HEATER_POWER, self.ina219.read, found, self._power_stuck)
        status = self._guard(Sensor.STATUS_MCU, self.status_mcu.read, found, self._mcu_stuck)
        if power is not None:
            self._check_power(power, found)
        if temp is not None:
            self._check_temperature(temp, power, found)
        if status is not None:
            self._check_status(status, found)

        faults = tuple(sorted(set(found), key=lambda f: f.code))
        before = set(self._faults)
        after = set(faults)
        self._sequence += 1
        snapshot = SensorSnapshot(
            sequence=self._sequence,
            boiler_c=temp.celsius if temp else None,
            heater_a=power.current_a if power else None,
            bus_v=power.bus_v if power else None,
            water_pct=status.water_pct if status else None,
            beans_pct=status.beans_pct if status else None,
            grounds_count=status.grounds_count if status else None,
            grounds_full=status.grounds_full if status else None,
            door_open=status.door_open if status else None,
            selected_product=status.selected_product if status else None,
            health={sensor: _health(sensor, faults) for sensor in Sensor},
            faults=faults,
            raised=tuple(f for f in faults if f not in before),
            cleared=tuple(sorted((f for f in self._faults if f not in after),
                                 key=lambda f: f.code)),
            brew_blockers=self._blockers(faults, status),
        )
        self._faults = faults
        self._last = snapshot
        return snapshot

    # -- per-sensor rules -----------------------------------------------------------------

    def _guard(self, sensor: Sensor, read: Callable[[], T], found: list[SensorFault],
               detector: StuckDetector) -> T | None:
        try:
            return read()
        except OSError as exc:
            detector.reset()
            kind = FaultKind.MISSING if exc.errno in _MISSING_ERRNOS else FaultKind.NACK
            found.append(SensorFault.of(sensor, kind, f"{sensor} read failed: {exc}"))
            return None

    def _range(self, sensor: Sensor, quantity: Quantity, value: float, limits: Range,
               unit: str, found: list[SensorFault]) -> None:
        if value not in limits:
            found.append(SensorFault.of(
                sensor, FaultKind.OUT_OF_RANGE,
                f"{quantity} = {value:g} {unit} is outside [{limits.low:g}, {limits.high:g}]",
                quantity))

    def _check_power(self, power: PowerReading, found: list[SensorFault]) -> None:
        limits = self.config.limits
        sensor = Sensor.HEATER_POWER
        if power.overflow:
            found.append(SensorFault.of(sensor, FaultKind.OUT_OF_RANGE,
                                        "INA219 current/power overflow (OVF set)",
                                        Quantity.HEATER_A))
        else:
            self._range(sensor, Quantity.HEATER_A, power.current_a, limits.heater_a, "A",
                        found)
        self._range(sensor, Quantity.BUS_V, power.bus_v, limits.bus_v, "V", found)
        self._conversions += power.conversion_ready
        if self._power_stuck.observe(self._conversions):
            found.append(SensorFault.of(
                sensor, FaultKind.STUCK,
                f"INA219 completed no conversion over {self._power_stuck.threshold} reads "
                f"(CNVR clear)"))

    def _check_temperature(self, temp: TemperatureReading, power: PowerReading | None,
                           found: list[SensorFault]) -> None:
        sensor = Sensor.BOILER_TEMP
        self._range(sensor, Quantity.BOILER_C, temp.celsius, self.config.limits.boiler_c,
                    "°C", found)
        heating = power is not None and power.current_a >= self.config.heater_on_a
        if self._temp_stuck.observe(temp.raw, should_move=heating):
            found.append(SensorFault.of(
                sensor, FaultKind.STUCK,
                f"raw temperature 0x{temp.raw:04x} ({temp.celsius:g} °C) unchanged over "
                f"{self._temp_stuck.threshold} reads while the heater draws current",
                Quantity.BOILER_C))

    def _check_status(self, status: StatusReading, found: list[SensorFault]) -> None:
        sensor = Sensor.STATUS_MCU
        limits = self.config.limits
        flagged = {quantity for bit, quantity, _ in _MCU_FLAGS if status.fault_flags & bit}
        for bit, quantity, name in _MCU_FLAGS:
            if status.fault_flags & bit:
                found.append(SensorFault.of(
                    sensor, FaultKind.OUT_OF_RANGE,
                    f"status MCU reports its {name} faulty (FAULT_FLAGS "
                    f"0x{status.fault_flags:02x})", quantity))
        if Quantity.WATER_PCT not in flagged:
            self._range(sensor, Quantity.WATER_PCT, status.water_pct, limits.water_pct, "%",
                        found)
        if Quantity.BEANS_PCT not in flagged:
            self._range(sensor, Quantity.BEANS_PCT, status.beans_pct, limits.beans_pct, "%",
                        found)
        if self._mcu_stuck.observe(status.heartbeat):
            found.append(SensorFault.of(
                sensor, FaultKind.STUCK,
                f"status MCU heartbeat stayed at {status.heartbeat} over "
                f"{self._mcu_stuck.threshold} reads"))

    def _blockers(self, faults: tuple[SensorFault, ...],
                  status: StatusReading | None) -> tuple[BrewBlocker, ...]:
        blockers: list[BrewBlocker] = []
        by_sensor = {f.sensor for f in faults}
        if Sensor.BOILER_TEMP in by_sensor or Sensor.HEATER_POWER in by_sensor:
            blockers.append(BrewBlocker.BOILER_FAULT)
        mcu_kinds = {f.kind for f in faults if f.sensor is Sensor.STATUS_MCU}
        if status is None or mcu_kinds & {FaultKind.NACK, FaultKind.MISSING, FaultKind.STUCK}:
            blockers.append(BrewBlocker.STATUS_UNKNOWN)
        if status is not None:
            bad = {f.quantity for f in faults if f.sensor is Sensor.STATUS_MCU}
            if Quantity.WATER_PCT in bad or status.water_pct < self.config.min_water_pct:
                blockers.append(BrewBlocker.NO_WATER)
            if Quantity.DOOR in bad or status.door_open:
                blockers.append(BrewBlocker.DOOR_OPEN)
            if Quantity.GROUNDS in bad or status.grounds_full:
                blockers.append(BrewBlocker.GROUNDS_FULL)
        return tuple(blockers)


def _health(sensor: Sensor, faults: tuple[SensorFault, ...]) -> SensorHealth:
    kinds = {SensorHealth(f.kind) for f in faults if f.sensor is sensor}
    return next((h for h in _HEALTH_ORDER if h in kinds), SensorHealth.OK)
