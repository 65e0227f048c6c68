"""Line framing, board side: ``payload*CC\\n`` with CRC-8/SMBUS over the payload.

Kept independent of the firmware's codec on purpose: two implementations that agree on the
wire are the test of the spec.
"""

from __future__ import annotations

from emulators.brewboard.errors import CommandError

MAX_LINE = 128
"""Longest accepted line in bytes (payload and ``*CC``), terminator excluded."""

_PRINTABLE = frozenset(range(0x20, 0x7F)) - {ord("*")}


def crc8(data: bytes) -> int:
    """CRC-8, polynomial x^8+x^2+x+1, initial value 0, no reflection, no final xor."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc << 1 ^ 0x07) & 0xFF if crc & 0x80 else crc << 1 & 0xFF
    return crc


def encode_line(payload: str) -> bytes:
    """Frame a reply payload for the wire."""
    raw = payload.encode("ascii", errors="replace")
    if not payload.isascii() or not raw or not set(raw) <= _PRINTABLE or len(raw) + 3 > MAX_LINE:
        raise ValueError(f"reply payload {payload!r} is empty, too long or not printable "
                         f"ASCII without '*'")
    return b"%s*%02X\n" % (raw, crc8(raw))


def decode_line(line: bytes) -> str:
    """Verify one received line (terminator optional) and return its payload."""
    body = line.removesuffix(b"\n").removesuffix(b"\r")
    if len(body) > MAX_LINE:
        raise CommandError("TOOLONG", f"{len(body)} bytes exceed {MAX_LINE}", line)
    payload, star, digits = body.rpartition(b"*")
    if not star or not payload:
        raise CommandError("FRAMING", "missing payload or '*' checksum separator", line)
    if not set(payload) <= _PRINTABLE:
        raise CommandError("FRAMING", "payload holds non-printable bytes or a second '*'", line)
    if len(digits) != 2 or not set(digits) <= set(b"0123456789ABCDEF"):
        raise CommandError("CHECKSUM", "checksum must be two upper-case hex digits", line)
    if int(digits, 16) != crc8(payload):
        raise CommandError("CHECKSUM", f"checksum {digits.decode()} != computed "
                                       f"{crc8(payload):02X}", line)
    return payload.decode("ascii")
