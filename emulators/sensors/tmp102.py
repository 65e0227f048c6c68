"""TI TMP102 digital temperature sensor (datasheet SBOS397), as found at 0x48.

Registers (pointer P1..P0; pointer bytes with bits 7..2 set are NACKed):

- 0x00 temperature, read-only. Normal mode: 12-bit two's complement in D15..D4,
  0.0625 °C/LSB, D0 = 0. Extended mode (EM = 1): 13-bit in D15..D3, D0 = 1, so a reader can
  tell the format from the value itself.
- 0x01 configuration, power-on 0x60A0: OS D15, R1 R0 D14..D13 (read-only 11), F1 F0,
  POL, TM, SD D8, CR1 CR0 D7..D6, AL D5 (read-only), EM D4, D3..D0 read as 0.
- 0x02 TLOW (power-on 0x4B00 = 75 °C), 0x03 THIGH (power-on 0x5000 = 80 °C), same format
  as the temperature register.

Emulation choices: a conversion completes at the start of every transaction while not in
shutdown (the chip converts at 4 Hz; the firmware polls slower than that); readings
saturate at the register format's limits; the alert follows comparator mode (TM is stored
but interrupt mode is not modelled, nor the fault queue); OS reads 1 after a one-shot
conversion in shutdown mode and 0 otherwise.
"""

from __future__ import annotations

import random

from emulators.sensors.errors import InvalidValueError
from emulators.sensors.registry import register_model
from emulators.sensors.values import finite, round_half_up
from emulators.sensors.word_device import WordRegisterDevice

TEMPERATURE, CONFIG, TLOW, THIGH = 0x00, 0x01, 0x02, 0x03
LSB_C = 0.0625

CONFIG_POWER_ON = 0x60A0
TLOW_POWER_ON = 0x4B00
THIGH_POWER_ON = 0x5000

OS = 0x8000
RESOLUTION = 0x6000
FAULT_QUEUE = 0x1800
POL = 0x0400
TM = 0x0200
SD = 0x0100
CONVERSION_RATE = 0x00C0
AL = 0x0020
EM = 0x0010
_WRITABLE = FAULT_QUEUE | POL | TM | SD | CONVERSION_RATE | EM


def encode_temperature(celsius: float, extended: bool = False) -> int:
    """Temperature register value for ``celsius``, saturating at the format's limits."""
    bits, shift = (13, 3) if extended else (12, 4)
    code = round_half_up(celsius / LSB_C)
    code = max(-(1 << (bits - 1)), min((1 << (bits - 1)) - 1, code))
    return ((code & ((1 << bits) - 1)) << shift) | (1 if extended else 0)


def decode_temperature(raw: int, extended: bool | None = None) -> float:
    """°C of a temperature/TLOW/THIGH value; ``extended=None`` reads the format from D0."""
    if extended is None:
        extended = bool(raw & 1)
    bits, shift = (13, 3) if extended else (12, 4)
    code = (raw & 0xFFFF) >> shift
    if code & (1 << (bits - 1)):
        code -= 1 << bits
    return code * LSB_C


@register_model
class TMP102(WordRegisterDevice):
    """Boiler temperature sensor. Script it with :meth:`set_temperature`."""

    model = "tmp102"
    default_address = 0x48
    OUT_OF_RANGE_C = 180.0
    """Reading presented under ``out_of_range`` (127.9375 °C once saturated in normal mode)."""

    def __init__(self, temperature_c: float = 21.0, *, jitter_lsb: int = 0,
                 rng: random.Random | None = None) -> None:
        super().__init__()
        if isinstance(jitter_lsb, bool) or not isinstance(jitter_lsb, int) or jitter_lsb < 0:
            raise InvalidValueError(f"tmp102: jitter_lsb must be an integer >= 0, got "
                                    f"{jitter_lsb!r}")
        if jitter_lsb and rng is None:
            raise InvalidValueError("tmp102: jitter_lsb > 0 needs an rng (random.Random) so "
                                    "runs replay from their seed")
        self._temperature = finite(self.model, "temperature_c", temperature_c)
        self._jitter_lsb = jitter_lsb
        self._rng = rng
        self._last_offset = 0
        self._reset_registers()

    # -- rig side -------------------------------------------------------------------------

    def set_temperature(self, celsius: float) -> None:
        """Physical temperature at the sensor; shows up at the next conversion."""
        value = finite(self.model, "temperature", celsius)
        with self.lock:
            self._temperature = value

    @property
    def temperature_c(self) -> float:
        with self.lock:
            return self._temperature

    # -- chip -----------------------------------------------------------------------------

    def _reset_registers(self) -> None:
        super()._reset_registers()
        self._temp_raw = 0
        self._config = CONFIG_POWER_ON & ~(OS | AL)
        self._tlow = TLOW_POWER_ON
        self._thigh = THIGH_POWER_ON
        self._alert_active = False
        self._one_shot_done = False

    def begin_transaction(self) -> None:
        if not self._config & SD:
            self._convert()

    def _convert(self) -> None:
        if self.stuck:
            return
        celsius = self.OUT_OF_RANGE_C if self.out_of_range else self._temperature
        if self._jitter_lsb and self._rng is not None:
            offsets = [o for o in range(-self._jitter_lsb, self._jitter_lsb + 1)
                       if o != self._last_offset]
            self._last_offset = self._rng.choice(offsets)
            celsius += self._last_offset * LSB_C
        extended = bool(self._config & EM)
        self._temp_raw = encode_temperature(celsius, extended)
        measured = decode_temperature(self._temp_raw)
        if measured >= decode_temperature(self._thigh, extended):
            self._alert_active = True
        elif measured < decode_temperature(self._tlow, extended):
            self._alert_active = False

    def _is_register(self, pointer: int) -> bool:
        return 0 <= pointer <= THIGH

    def _read_register(self, pointer: int) -> int:
        if pointer == TEMPERATURE:
            return self._temp_raw
        if pointer == CONFIG:
            value = self._config | RESOLUTION
            if self._one_shot_done and self._config & SD:
                value |= OS
            polarity_high = bool(self._config & POL)
            if self._alert_active == polarity_high:
                value |= AL
            return value
        return self._tlow if pointer == TLOW else self._thigh

    def _write_register(self, pointer: int, value: int) -> None:
        if pointer == CONFIG:
            self._config = value & _WRITABLE
            self._one_shot_done = False
            if value & OS and value & SD:
                self._convert()
                self._one_shot_done = True
        elif pointer in (TLOW, THIGH):
            masked = value & (0xFFF8 if self._config & EM else 0xFFF0)
            if pointer == TLOW:
                self._tlow = masked
            else:
                self._thigh = masked
        # TEMPERATURE is read-only: the chip ACKs and ignores the data.
