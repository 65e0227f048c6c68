"""Choosing the I2C bus from configuration: the kernel's bus on the Pi, or the rig's socket.

The drivers only see :class:`I2CBus`, the subset of ``smbus2.SMBus`` they call, so the same
driver code runs against ``/dev/i2c-1`` and against the emulated bus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from firmware.sensors.errors import BusSpecError, BusTransportError
from firmware.sensors.socket_bus import SocketI2CBus


class I2CBus(Protocol):
    """What drivers may call; ``smbus2.SMBus`` and :class:`SocketI2CBus` both provide it."""

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        ...

    def write_byte_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None: ...

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        ...

    def write_word_data(self, i2c_addr: int, register: int, value: int,
                        force: bool | None = None) -> None: ...

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int,
                            force: bool | None = None) -> list[int]: ...

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int],
                             force: bool | None = None) -> None: ...

    def i2c_rdwr(self, *i2c_msgs: Any) -> None: ...

    def close(self) -> None: ...


def _open_kernel(bus: int | str) -> I2CBus:
    from smbus2 import SMBus

    try:
        return SMBus(bus)
    except OSError as exc:
        node = f"/dev/i2c-{bus}" if isinstance(bus, int) else bus
        raise BusTransportError(
            exc.errno or 0, f"cannot open I2C bus {node}: {exc.strerror or exc} (is I2C "
                            f"enabled, e.g. dtparam=i2c_arm=on, and may this user open "
                            f"it?)") from exc


def _open_socket(path: str, timeout: float) -> I2CBus:
    return SocketI2CBus(path, timeout=timeout)


_SCHEMES: dict[str, Callable[[str, float], I2CBus]] = {"unix": _open_socket}


def open_bus(spec: int | str, *, timeout: float = 2.0) -> I2CBus:
    """Open the bus named by the firmware's ``i2c_bus`` setting.

    ``1`` (or ``"1"``, ``"/dev/i2c-1"``) opens the kernel bus through smbus2;
    ``"unix:/path/to/bus.sock"`` connects to the rig's emulated bus (``timeout`` applies
    to each of its transfers).
    """
    if isinstance(spec, bool) or not isinstance(spec, int | str):
        raise BusSpecError(f"I2C bus setting must be an int or a string, got {spec!r}")
    if isinstance(spec, int):
        if spec < 0:
            raise BusSpecError(f"I2C bus number must be >= 0, got {spec}")
        return _open_kernel(spec)
    if spec.isdigit():
        return _open_kernel(int(spec))
    if spec.startswith("/dev/"):
        return _open_kernel(spec)
    scheme, sep, rest = spec.partition(":")
    factory = _SCHEMES.get(scheme) if sep else None
    if factory is None or not rest:
        raise BusSpecError(
            f"I2C bus setting {spec!r} is not understood; use a bus number such as 1, a "
            f"device path such as /dev/i2c-1, or "
            f"{', '.join(f'{s}:<path>' for s in _SCHEMES)}")
    return factory(rest, timeout)
