"""I2C bus client for the rig's emulated bus, reached over a Unix domain socket.

Offers the part of ``smbus2.SMBus`` the drivers use, with the kernel's semantics: SMBus
calls become the same I2C transfers the kernel emits on a pure-I2C adapter such as the
Raspberry Pi's (a register write, then a repeated-START read), words are little-endian,
and failures are ``OSError``s with i2c-dev's errnos (EREMOTEIO for a NACK, ENXIO when
nothing answers). A broken connection is dropped and re-established on the next call, so
a restarted bus server is picked up without restarting the firmware.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import threading
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

from firmware.sensors import wire
from firmware.sensors.errors import (
    BusClosedError,
    BusProtocolError,
    BusTransportError,
    TransferArgumentError,
)
from firmware.sensors.wire import BusMessage

I2C_M_RD = 0x0001
"""``flags`` bit of a read message in ``struct i2c_msg`` (linux/i2c.h)."""
SMBUS_BLOCK_MAX = 32


def _check(what: str, value: Any, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise TransferArgumentError(f"{what} must be an integer 0..{top}, got {value!r}")
    return value


class SocketI2CBus:
    """Connects to ``path`` at once, so a wrong setting fails at boot, not at first use."""

    def __init__(self, path: str, *, timeout: float = 2.0) -> None:
        if not path:
            raise TransferArgumentError("socket bus path is empty")
        if timeout <= 0:
            raise TransferArgumentError(f"socket bus timeout must be > 0 s, got {timeout!r}")
        self.path = path
        self.timeout = timeout
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._closed = False
        self._sock = self._connect()

    # -- transport ------------------------------------------------------------------------

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            raise BusTransportError(
                exc.errno or errno.EIO,
                f"cannot reach the emulated I2C bus at {self.path}: "
                f"{exc.strerror or exc}") from exc
        return sock

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _recv_exact(self, sock: socket.socket, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise BusTransportError(
                    errno.EIO, f"emulated I2C bus at {self.path} closed the connection "
                               f"mid-reply ({len(data)} of {size} bytes)")
            data += chunk
        return bytes(data)

    def transfer(self, messages: Sequence[BusMessage]) -> list[bytes]:
        """One combined transfer (repeated STARTs, one STOP); the bytes of each read."""
        frame = wire.encode_request(messages)
        with self._lock:
            if self._closed:
                raise BusClosedError(f"unix:{self.path}")
            sock = self._sock if self._sock is not None else self._connect()
            self._sock = sock
            try:
                sock.sendall(frame)
                length = wire.parse_result_header(self._recv_exact(sock, wire.HEADER.size))
                status, payload = wire.parse_result_body(self._recv_exact(sock, length))
            except TimeoutError:
                self._drop()
                raise BusTransportError(
                    errno.ETIMEDOUT, f"emulated I2C bus at {self.path} did not answer within "
                                     f"{self.timeout} s") from None
            except BusTransportError:
                self._drop()
                raise
            except OSError as exc:
                self._drop()
                raise BusTransportError(
                    exc.errno or errno.EIO,
                    f"connection to the emulated I2C bus at {self.path} failed: {exc}") from exc
            if status == errno.EPROTO:
                self._drop()
                raise BusProtocolError(f"emulated I2C bus at {self.path} rejected the frame: "
                                       f"{payload.decode('utf-8', 'replace')}")
        if status:
            raise OSError(status, f"{os.strerror(status)}: "
                                  f"{payload.decode('utf-8', 'replace')}")
        return self._split(messages, payload)

    def _split(self, messages: Sequence[BusMessage], payload: bytes) -> list[bytes]:
        lengths = [m.length for m in messages if m.is_read]
        if sum(lengths) != len(payload):
            with self._lock:
                self._drop()
            raise BusProtocolError(f"emulated I2C bus at {self.path} returned {len(payload)} "
                                   f"data bytes for reads of {sum(lengths)}")
        out, offset = [], 0
        for length in lengths:
            out.append(payload[offset:offset + length])
            offset += length
        return out

    # -- smbus2.SMBus subset --------------------------------------------------------------

    def _read_register(self, addr: int, register: int, length: int) -> bytes:
        _check("register", register, 0xFF)
        return self.transfer([BusMessage.write(addr, bytes([register])),
                              BusMessage.read(addr, length)])[0]

    def _write_register(self, addr: int, register: int, data: bytes) -> None:
        _check("register", register, 0xFF)
        self.transfer([BusMessage.write(addr, bytes([register]) + data)])

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._read_register(i2c_addr, register, 1)[0]

    def write_byte_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None:
        self._write_register(i2c_addr, register, bytes([_check("byte value", value, 0xFF)]))

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        """The word as SMBus defines it: first byte on the wire is the low byte."""
        data = self._read_register(i2c_addr, register, 2)
        return data[0] | data[1] << 8

    def write_word_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None:
        word = _check("word value", value, 0xFFFF)
        self._write_register(i2c_addr, register, bytes([word & 0xFF, word >> 8]))

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: bool | None = None) -> list[int]:
        if isinstance(length, bool) or not isinstance(length, int) \
                or not 1 <= length <= SMBUS_BLOCK_MAX:
            raise TransferArgumentError(f"block length must be 1..{SMBUS_BLOCK_MAX}, got "
                                        f"{length!r}")
        return list(self._read_register(i2c_addr, register, length))

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Iterable[int],
                             force: bool | None = None) -> None:
        values = [_check("block byte", v, 0xFF) for v in data]
        if len(values) > SMBUS_BLOCK_MAX:
            raise TransferArgumentError(f"block of {len(values)} bytes exceeds "
                                        f"{SMBUS_BLOCK_MAX}")
        self._write_register(i2c_addr, register, bytes(values))

    def i2c_rdwr(self, *i2c_msgs: Any) -> None:
        """Run ``smbus2.i2c_msg`` messages as one transfer, filling the read buffers."""
        messages = []
        for index, msg in enumerate(i2c_msgs, start=1):
            if msg.flags & ~I2C_M_RD:
                raise TransferArgumentError(
                    f"message {index}: flags 0x{msg.flags:04x} are not supported by the "
                    f"emulated bus (only I2C_M_RD)")
            if msg.flags & I2C_M_RD:
                messages.append(BusMessage.read(msg.addr, msg.len))
            else:
                messages.append(BusMessage.write(msg.addr, ctypes.string_at(msg.buf, msg.len)))
        reads = iter(self.transfer(messages))
        for msg in i2c_msgs:
            if msg.flags & I2C_M_RD:
                data = next(reads)
                ctypes.memmove(msg.buf, data, len(data))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    def __enter__(self) -> SocketI2CBus:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
