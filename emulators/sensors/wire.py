"""Emulator side of the bus socket's wire format (see ``docs/sensors.md``).

Request: header ``"I2" | version 1 | kind 0x01 | body length u32``, body ``count u8`` then
per message ``addr u8 | flags u8 (bit 0 = read) | length u16`` and, for writes, the data.
Reply: header with kind 0x81, body ``status u16`` (0 or an errno) then the concatenated
read data (status 0) or a UTF-8 explanation. All integers big-endian.
"""

from __future__ import annotations

import struct

from emulators.sensors.errors import FrameError
from emulators.sensors.transfer import MAX_MESSAGE_LEN, I2CMessage

MAGIC = b"I2"
VERSION = 1
KIND_TRANSFER = 0x01
KIND_RESULT = 0x81
HEADER = struct.Struct(">2sBBI")
MESSAGE = struct.Struct(">BBH")
STATUS = struct.Struct(">H")
FLAG_READ = 0x01
MAX_MESSAGES = 42
"""i2c-dev's I2C_RDWR_IOCTL_MAX_MSGS."""
MAX_BODY = 1 + MAX_MESSAGES * (MESSAGE.size + MAX_MESSAGE_LEN)


def check_magic(start: bytes) -> None:
    """Refuse a stream at its first two bytes when it is not this protocol."""
    if start != MAGIC:
        raise FrameError(f"frame starts with {start!r}, not {MAGIC!r}: the peer does not speak "
                         f"the emulated I2C bus protocol (docs/sensors.md)")


def parse_header(header: bytes) -> int:
    """Validate a request header; returns the body length to read next."""
    if len(header) != HEADER.size:
        raise FrameError(f"a header is {HEADER.size} bytes, got {len(header)}")
    magic, version, kind, length = HEADER.unpack(header)
    check_magic(magic)
    if version != VERSION:
        raise FrameError(f"protocol version {version} is not supported (this bus speaks "
                         f"{VERSION})")
    if kind != KIND_TRANSFER:
        raise FrameError(f"frame kind 0x{kind:02x} is not a transfer request (0x01)")
    if not 1 <= length <= MAX_BODY:
        raise FrameError(f"body length {length} is outside 1..{MAX_BODY}")
    return length


def parse_body(body: bytes) -> list[I2CMessage]:
    """Decode a request body into messages; every byte must be accounted for."""
    if not body:
        raise FrameError("empty body: a transfer starts with its message count")
    count = body[0]
    if not 1 <= count <= MAX_MESSAGES:
        raise FrameError(f"message count {count} is outside 1..{MAX_MESSAGES}")
    messages = []
    offset = 1
    for index in range(1, count + 1):
        if offset + MESSAGE.size > len(body):
            raise FrameError(f"body ends inside the header of message {index} of {count}")
        addr, flags, length = MESSAGE.unpack_from(body, offset)
        offset += MESSAGE.size
        if addr > 0x7F:
            raise FrameError(f"message {index}: address 0x{addr:02x} is not a 7-bit address")
        if flags & ~FLAG_READ:
            raise FrameError(f"message {index}: unsupported flags 0x{flags:02x} (only bit 0, "
                             f"read, is defined)")
        if length > MAX_MESSAGE_LEN:
            raise FrameError(f"message {index}: length {length} exceeds {MAX_MESSAGE_LEN}")
        if flags & FLAG_READ:
            messages.append(I2CMessage(addr, True, b"", length))
            continue
        if offset + length > len(body):
            raise FrameError(f"message {index}: {length} data bytes announced, "
                             f"{len(body) - offset} left in the body")
        messages.append(I2CMessage(addr, False, body[offset:offset + length]))
        offset += length
    if offset != len(body):
        raise FrameError(f"{len(body) - offset} stray bytes after the last message")
    return messages


def encode_result(status: int, payload: bytes) -> bytes:
    """A reply frame: status 0 with read data, or an errno with an explanation."""
    body = STATUS.pack(status) + payload
    return HEADER.pack(MAGIC, VERSION, KIND_RESULT, len(body)) + body
