"""The emulated I2C bus itself: devices at addresses and combined transfers between them.

A transfer is what one ``I2C_RDWR`` ioctl does: messages separated by repeated STARTs and
ended by one STOP, executed atomically with respect to other transfers (bus arbitration)
and to rig threads scripting the devices involved. The first failing message ends the
transfer, as a NACK does on the wire; earlier messages keep their effect.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from emulators.sensors.device import I2CDevice
from emulators.sensors.errors import AddressError, DataNack, TransferError

MAX_MESSAGE_LEN = 8192
"""i2c-dev refuses longer messages; the wire format inherits the limit."""


@dataclass(frozen=True)
class I2CMessage:
    """One message of a transfer: a write of ``data`` or a read of ``length`` bytes."""

    addr: int
    is_read: bool
    data: bytes = b""
    length: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.addr <= 0x7F:
            raise ValueError(f"I2C address 0x{self.addr:x} is not a 7-bit address")
        if self.is_read and self.data:
            raise ValueError(f"read message to 0x{self.addr:02x} carries write data")
        size = self.length if self.is_read else len(self.data)
        if not 0 <= size <= MAX_MESSAGE_LEN:
            raise ValueError(f"message to 0x{self.addr:02x} of {size} bytes is outside "
                             f"0..{MAX_MESSAGE_LEN}")

    @classmethod
    def write(cls, addr: int, data: bytes) -> I2CMessage:
        return cls(addr, False, bytes(data))

    @classmethod
    def read(cls, addr: int, length: int) -> I2CMessage:
        return cls(addr, True, b"", length)


def check_device_address(address: int) -> int:
    """``address`` if a device may sit there (0x03..0x77; the rest is reserved by I2C)."""
    if isinstance(address, bool) or not isinstance(address, int) or not 0x03 <= address <= 0x77:
        raise AddressError(f"device address {address!r} is outside the usable 7-bit range "
                           f"0x03..0x77")
    return address


class EmulatedI2CBus:
    """Devices by address, and the transfer engine that drives them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[int, I2CDevice] = {}
        self.transfers = 0
        """Transfers executed, failed ones included."""

    def attach(self, device: I2CDevice, address: int | None = None) -> I2CDevice:
        """Put ``device`` on the bus at ``address`` (default: the model's address)."""
        where = check_device_address(device.default_address if address is None else address)
        with self._lock:
            if where in self._devices:
                raise AddressError(f"address 0x{where:02x} is already taken by "
                                   f"{self._devices[where].model}")
            self._devices[where] = device
        return device

    def detach(self, address: int) -> I2CDevice:
        with self._lock:
            try:
                return self._devices.pop(address)
            except KeyError:
                raise AddressError(f"no device attached at 0x{address:02x}") from None

    def device(self, address: int) -> I2CDevice:
        with self._lock:
            try:
                return self._devices[address]
            except KeyError:
                raise AddressError(f"no device attached at 0x{address:02x}") from None

    def devices(self) -> dict[int, I2CDevice]:
        with self._lock:
            return dict(self._devices)

    def transfer(self, messages: Sequence[I2CMessage]) -> list[bytes]:
        """Run one combined transfer; returns the bytes of each read message, in order.

        Raises :class:`TransferError` with ENXIO when nothing answers at an address and
        with EREMOTEIO when a device NACKs its address or a data byte.
        """
        if not messages:
            raise ValueError("a transfer needs at least one message")
        with self._lock:
            self.transfers += 1
            involved = sorted({m.addr for m in messages if m.addr in self._devices})
            with contextlib.ExitStack() as locks:
                for addr in involved:
                    locks.enter_context(self._devices[addr].lock)
                return self._run(messages)

    def _run(self, messages: Sequence[I2CMessage]) -> list[bytes]:
        reads: list[bytes] = []
        started: list[I2CDevice] = []
        total = len(messages)
        try:
            for index, msg in enumerate(messages, start=1):
                where = f"0x{msg.addr:02x} (message {index} of {total})"
                device = self._devices.get(msg.addr)
                if device is None or not device.present:
                    raise TransferError.absent(f"no device answers at {where}")
                if not device.acks_address:
                    raise TransferError.nack(f"device {device.model} did not acknowledge its "
                                             f"address at {where}")
                if device not in started:
                    device.begin_transaction()
                    started.append(device)
                if msg.is_read:
                    data = device.read(msg.length)
                    if len(data) != msg.length:
                        raise AssertionError(f"{device.model} returned {len(data)} bytes for a "
                                             f"{msg.length}-byte read")
                    reads.append(data)
                else:
                    try:
                        device.write(msg.data)
                    except DataNack as exc:
                        raise TransferError.nack(f"{exc} at {where}") from None
        finally:
            for device in started:
                device.end_transaction()
        return reads
