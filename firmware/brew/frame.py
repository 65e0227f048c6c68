"""Line framing of the brew-board protocol, firmware side: ``payload*CC\\n``.

The CRC-8 (SMBUS: poly 0x07, init 0) over every payload byte is what separates a garbled
line from a real reply; any single corrupted byte is always detected. Only printable ASCII
is allowed so a line never needs escaping.
"""

from __future__ import annotations

from firmware.brew.errors import BrewCodecError

MAX_LINE = 128
"""Longest line in bytes, payload plus ``*CC``, without the terminator."""

_HEX = b"0123456789ABCDEF"


def _build_table() -> tuple[int, ...]:
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) if crc & 0x80 else crc << 1
            crc &= 0xFF
        table.append(crc)
    return tuple(table)


_TABLE = _build_table()


def crc8(data: bytes) -> int:
    """CRC-8/SMBUS of ``data`` (check value of ``b"123456789"`` is 0xF4)."""
    crc = 0
    for byte in data:
        crc = _TABLE[crc ^ byte]
    return crc


def frame(payload: str) -> bytes:
    """Wrap a payload into one wire line with checksum and ``\\n``."""
    if not payload or any(not 0x20 <= ord(c) <= 0x7E or c == "*" for c in payload):
        raise BrewCodecError("framing", f"payload {payload!r} must be non-empty printable "
                                        f"ASCII without '*'")
    raw = payload.encode("ascii")
    if len(raw) + 3 > MAX_LINE:
        raise BrewCodecError("framing", f"payload of {len(raw)} bytes exceeds the "
                                        f"{MAX_LINE - 3}-byte limit")
    crc = crc8(raw)
    return raw + b"*" + bytes((_HEX[crc >> 4], _HEX[crc & 0xF])) + b"\n"


def unframe(line: bytes) -> str:
    """Check a received line's framing and checksum and return its payload.

    Accepts the line with or without its ``\\n`` and one optional ``\\r`` before it.
    """
    body = line[:-1] if line.endswith(b"\n") else line
    body = body[:-1] if body.endswith(b"\r") else body
    if not body:
        raise BrewCodecError("framing", "empty line", line)
    if len(body) > MAX_LINE:
        raise BrewCodecError("framing", f"line of {len(body)} bytes exceeds {MAX_LINE}", line)
    star = body.rfind(b"*")
    if star < 0 or len(body) - star != 3:
        raise BrewCodecError("framing", "line does not end in '*' and two hex digits", line)
    payload, digits = body[:star], body[star + 1:]
    if not payload:
        raise BrewCodecError("framing", "empty payload before '*'", line)
    if any(b < 0x20 or b > 0x7E or b == 0x2A for b in payload):
        raise BrewCodecError("framing", "payload holds a byte outside printable ASCII or a "
                                        "second '*'", line)
    if any(d not in _HEX for d in digits):
        raise BrewCodecError("checksum", "checksum is not two upper-case hex digits", line)
    expected = crc8(payload)
    got = int(digits, 16)
    if got != expected:
        raise BrewCodecError("checksum", f"checksum {got:02X} does not match payload "
                                         f"(expected {expected:02X})", line)
    return payload.decode("ascii")
