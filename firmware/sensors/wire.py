"""Firmware side of the bus socket's wire format (``docs/sensors.md``).

Request: header ``"I2" | version 1 | kind 0x01 | body length u32``, body ``count u8`` then
per message ``addr u8 | flags u8 (bit 0 = read) | length u16`` and, for writes, the data.
Reply: header with kind 0x81, body ``status u16`` then the read data (status 0) or a UTF-8
explanation (status = errno). Integers big-endian.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from firmware.sensors.errors import BusProtocolError, TransferArgumentError

MAGIC = b"I2"
VERSION = 1
KIND_TRANSFER = 0x01
KIND_RESULT = 0x81
HEADER = struct.Struct(">2sBBI")
_MESSAGE = struct.Struct(">BBH")
_STATUS = struct.Struct(">H")
FLAG_READ = 0x01
MAX_MESSAGES = 42
MAX_MESSAGE_LEN = 8192
MAX_RESULT_BODY = _STATUS.size + MAX_MESSAGES * MAX_MESSAGE_LEN


@dataclass(frozen=True)
class BusMessage:
    """One message of a combined transfer: write ``data`` or read ``length`` bytes."""

    addr: int
    is_read: bool
    data: bytes = b""
    length: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.addr, bool) or not isinstance(self.addr, int) \
                or not 0 <= self.addr <= 0x7F:
            raise TransferArgumentError(f"I2C address {self.addr!r} is not a 7-bit address "
                                        f"(0x00..0x7f)")
        size = self.length if self.is_read else len(self.data)
        if self.is_read and self.data:
            raise TransferArgumentError(f"read message to 0x{self.addr:02x} carries data")
        if not 0 <= size <= MAX_MESSAGE_LEN:
            raise TransferArgumentError(f"message to 0x{self.addr:02x} of {size} bytes is "
                                        f"outside 0..{MAX_MESSAGE_LEN}")

    @classmethod
    def write(cls, addr: int, data: bytes) -> BusMessage:
        return cls(addr, False, bytes(data))

    @classmethod
    def read(cls, addr: int, length: int) -> BusMessage:
        return cls(addr, True, b"", length)


def encode_request(messages: Sequence[BusMessage]) -> bytes:
    if not 1 <= len(messages) <= MAX_MESSAGES:
        raise TransferArgumentError(f"a transfer takes 1..{MAX_MESSAGES} messages, got "
                                    f"{len(messages)}")
    body = bytearray([len(messages)])
    for msg in messages:
        if msg.is_read:
            body += _MESSAGE.pack(msg.addr, FLAG_READ, msg.length)
        else:
            body += _MESSAGE.pack(msg.addr, 0, len(msg.data)) + msg.data
    return HEADER.pack(MAGIC, VERSION, KIND_TRANSFER, len(body)) + bytes(body)


def parse_result_header(header: bytes) -> int:
    """Validate a reply header; returns the body length to read."""
    if len(header) != HEADER.size:
        raise BusProtocolError(f"reply header is {len(header)} bytes, not {HEADER.size}")
    magic, version, kind, length = HEADER.unpack(header)
    if magic != MAGIC:
        raise BusProtocolError(f"reply starts with {magic!r}, not {MAGIC!r}: the socket is "
                               f"not an emulated I2C bus")
    if version != VERSION or kind != KIND_RESULT:
        raise BusProtocolError(f"reply header version {version} kind 0x{kind:02x}; expected "
                               f"version {VERSION} kind 0x{KIND_RESULT:02x}")
    if not _STATUS.size <= length <= MAX_RESULT_BODY:
        raise BusProtocolError(f"reply body length {length} is outside "
                               f"{_STATUS.size}..{MAX_RESULT_BODY}")
    return length


def parse_result_body(body: bytes) -> tuple[int, bytes]:
    """``(status, payload)`` of a reply body."""
    if len(body) < _STATUS.size:
        raise BusProtocolError(f"reply body of {len(body)} byte(s) has no {_STATUS.size}-byte "
                               f"status")
    (status,) = _STATUS.unpack_from(body)
    return status, body[_STATUS.size:]
