"""Driver of the TI TMP102 boiler temperature sensor.

The driver switches the chip to extended mode (13-bit, up to 255.9 °C in the register
format) so an overheating boiler reads as such instead of saturating at 127.9 °C. The
temperature register says its own format in D0, so decoding never depends on what the
driver believes the configuration is; a reading in the wrong format (the chip was reset
by a supply glitch) makes the driver configure it again on the next read.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.sensors.bus import I2CBus
from firmware.sensors.words import swap16

TEMPERATURE = 0x00
CONFIG = 0x01
EM = 0x0010
LSB_C = 0.0625


def decode_temperature(raw: int) -> float:
    """°C of a temperature register value (big-endian word), in either mode."""
    bits, shift = (13, 3) if raw & 1 else (12, 4)
    code = (raw & 0xFFFF) >> shift
    if code & (1 << (bits - 1)):
        code -= 1 << bits
    return code * LSB_C


@dataclass(frozen=True)
class TemperatureReading:
    raw: int
    """Register value as the chip sent it (MSB first); identical raws mean no new data."""
    celsius: float


class TMP102:
    def __init__(self, bus: I2CBus, address: int = 0x48, *, extended: bool = True) -> None:
        self.bus = bus
        self.address = address
        self.extended = extended
        self._configured = False

    def configure(self) -> None:
        """Set the EM bit as wanted, keeping the rest of the configuration."""
        config = swap16(self.bus.read_word_data(self.address, CONFIG))
        wanted = (config | EM) if self.extended else (config & ~EM)
        if wanted != config:
            self.bus.write_word_data(self.address, CONFIG, swap16(wanted))
        self._configured = True

    def read(self) -> TemperatureReading:
        if not self._configured:
            self.configure()
        raw = swap16(self.bus.read_word_data(self.address, TEMPERATURE))
        if bool(raw & 1) != self.extended:
            self._configured = False
        return TemperatureReading(raw, decode_temperature(raw))
