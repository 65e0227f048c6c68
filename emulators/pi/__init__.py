"""The emulated Raspberry Pi: power, boot, and an SD card with a volatile write cache."""

from emulators.pi.board import EmulatedPi, PiError

__all__ = ["EmulatedPi", "PiError"]
