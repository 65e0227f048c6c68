"""SMBus word byte order versus the big-endian registers of most sensor chips.

SMBus ``read_word_data`` treats the first byte on the wire as the low byte; TMP102 and
INA219 send the high byte first. Drivers swap, on the real bus as on the emulated one.
"""

from __future__ import annotations


def swap16(word: int) -> int:
    """Exchange the two bytes of a 16-bit value."""
    return ((word & 0xFF) << 8) | ((word >> 8) & 0xFF)


def signed16(word: int) -> int:
    """Two's complement interpretation of a 16-bit value."""
    word &= 0xFFFF
    return word - 0x10000 if word & 0x8000 else word
