"""TI INA219 current/power monitor (datasheet SBOS448), as found at 0x40.

Registers (16-bit, MSB first; pointer bytes above 0x05 are NACKed):

- 0x00 configuration, power-on 0x399F: RST D15 (self-clearing reset), BRNG D13 (0 = 16 V,
  1 = 32 V), PG D12..D11 (shunt range 40/80/160/320 mV), BADC D10..D7, SADC D6..D3,
  MODE D2..D0 (0 power-down, 1..3 triggered shunt/bus/both, 4 ADC off, 5..7 continuous).
- 0x01 shunt voltage, read-only, two's complement, 10 µV/LSB, saturating at the PG range.
- 0x02 bus voltage, read-only: D15..D3 = 4 mV/LSB, D1 CNVR (conversion ready), D0 OVF
  (math overflow).
- 0x03 power, read-only: current * bus / 5000 (power LSB = 20 * current LSB). Reading it
  clears CNVR.
- 0x04 current, read-only, two's complement: shunt * calibration / 4096.
- 0x05 calibration, read/write, D0 always 0, power-on 0 (current and power then read 0).

Emulation choices: in a continuous mode a conversion completes at the start of every
transaction (a 12-bit conversion takes 532 µs, about one transaction at 100 kHz); a
triggered mode converts once when the configuration is written; power is computed from the
magnitude of the current. Under ``stuck`` no conversion completes, so CNVR stays clear
after a power read: that is what the firmware detects.
"""

from __future__ import annotations

from emulators.sensors.registry import register_model
from emulators.sensors.values import finite, round_half_up
from emulators.sensors.word_device import WordRegisterDevice

CONFIG, SHUNT_VOLTAGE, BUS_VOLTAGE, POWER, CURRENT, CALIBRATION = range(6)

CONFIG_POWER_ON = 0x399F
RST = 0x8000
BRNG = 0x2000
PG_SHIFT = 11
MODE = 0x0007
_CONFIG_WRITABLE = 0x3FFF
CNVR = 0x0002
OVF = 0x0001

SHUNT_LSB_V = 10e-6
BUS_LSB_V = 0.004
CALIBRATION_SCALE = 0.04096
"""Calibration = trunc(0.04096 / (current_LSB * R_shunt)), datasheet equation 1."""


def shunt_full_scale(pg: int) -> int:
    """Largest shunt register magnitude for PGA setting ``pg`` (0..3): 40 mV * 2^pg."""
    return 4000 << pg


def bus_full_scale(brng_32v: bool) -> int:
    """Largest bus voltage count for the selected range (16 V or 32 V)."""
    return 8000 if brng_32v else 4000


def encode_shunt(volts: float, pg: int = 3) -> int:
    """Shunt voltage register value (16-bit two's complement)."""
    limit = shunt_full_scale(pg)
    return max(-limit, min(limit, round_half_up(volts / SHUNT_LSB_V))) & 0xFFFF


def signed16(raw: int) -> int:
    raw &= 0xFFFF
    return raw - 0x10000 if raw & 0x8000 else raw


def decode_bus_voltage(raw: int) -> float:
    """Volts of a bus voltage register value (CNVR/OVF bits ignored)."""
    return (raw >> 3) * BUS_LSB_V


@register_model
class INA219(WordRegisterDevice):
    """Heater supply monitor. Script it with :meth:`set_current` and :meth:`set_bus_voltage`.

    ``shunt_ohms`` is the board's shunt resistor, a hardware constant the firmware's
    configuration must agree with.
    """

    model = "ina219"
    default_address = 0x40
    OUT_OF_RANGE_A = 25.0
    """Current presented under ``out_of_range``: a shorted heater (overflows the current
    register at the firmware's default calibration, setting OVF)."""

    def __init__(self, *, shunt_ohms: float = 0.01, current_a: float = 0.0,
                 bus_v: float = 24.0) -> None:
        super().__init__()
        self._shunt_ohms = finite(self.model, "shunt_ohms", shunt_ohms)
        if self._shunt_ohms <= 0:
            raise ValueError(f"ina219: shunt_ohms must be > 0, got {shunt_ohms!r}")
        self._current = finite(self.model, "current_a", current_a)
        self._bus_v = finite(self.model, "bus_v", bus_v)
        self._reset_registers()

    # -- rig side -------------------------------------------------------------------------

    def set_current(self, amps: float) -> None:
        """Current through the shunt; shows up at the next conversion."""
        value = finite(self.model, "current", amps)
        with self.lock:
            self._current = value

    def set_bus_voltage(self, volts: float) -> None:
        """Voltage on the bus (load) side; shows up at the next conversion."""
        value = finite(self.model, "bus voltage", volts)
        with self.lock:
            self._bus_v = value

    @property
    def shunt_ohms(self) -> float:
        return self._shunt_ohms

    # -- chip -----------------------------------------------------------------------------

    def _reset_registers(self) -> None:
        super()._reset_registers()
        self._config = CONFIG_POWER_ON
        self._calibration = 0
        self._shunt = 0
        self._bus = 0
        self._current_reg = 0
        self._power = 0
        self._cnvr = False
        self._ovf = False

    def begin_transaction(self) -> None:
        if self._config & 0x4:
            self._convert()

    def _convert(self) -> None:
        mode = self._config & MODE
        if self.stuck or mode in (0, 4):
            return
        if mode & 0x1:
            amps = self.OUT_OF_RANGE_A if self.out_of_range else self._current
            pg = (self._config >> PG_SHIFT) & 0x3
            self._shunt = encode_shunt(amps * self._shunt_ohms, pg)
        if mode & 0x2:
            top = bus_full_scale(bool(self._config & BRNG))
            self._bus = max(0, min(top, round_half_up(self._bus_v / BUS_LSB_V)))
        self._ovf = False
        current = int(signed16(self._shunt) * self._calibration / 4096)
        if not -0x8000 <= current <= 0x7FFF:
            self._ovf = True
            current = max(-0x8000, min(0x7FFF, current))
        power = int(abs(current) * self._bus / 5000)
        if power > 0xFFFF:
            self._ovf = True
            power = 0xFFFF
        self._current_reg = current & 0xFFFF
        self._power = power
        self._cnvr = True

    def _is_register(self, pointer: int) -> bool:
        return 0 <= pointer <= CALIBRATION

    def _read_register(self, pointer: int) -> int:
        if pointer == BUS_VOLTAGE:
            return (self._bus << 3) | (CNVR if self._cnvr else 0) | (OVF if self._ovf else 0)
        return {
            CONFIG: self._config,
            SHUNT_VOLTAGE: self._shunt,
            POWER: self._power,
            CURRENT: self._current_reg,
            CALIBRATION: self._calibration,
        }[pointer]

    def _after_read(self, pointer: int) -> None:
        if pointer == POWER:
            self._cnvr = False

    def _write_register(self, pointer: int, value: int) -> None:
        if pointer == CONFIG:
            if value & RST:
                self._reset_registers()
                return
            self._config = value & _CONFIG_WRITABLE
            self._cnvr = False
            if (self._config & MODE) in (1, 2, 3):
                self._convert()
        elif pointer == CALIBRATION:
            self._calibration = value & 0xFFFE
        # Shunt, bus, power and current are read-only: the chip ACKs and ignores the data.
