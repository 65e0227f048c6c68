"""Errors of the sensor bus and drivers, each saying what went wrong and where.

Anything that happens *on the bus* is an :class:`OSError`, as with the kernel's i2c-dev
(EREMOTEIO for a NACK, ENXIO for no device, ETIMEDOUT, EIO), so drivers and the monitor
handle the real and the socket bus alike. Mistakes of the caller are ``ValueError``s.
"""

from __future__ import annotations

import errno


class SensorConfigError(ValueError):
    """Sensor or bus configuration is invalid; the message names the setting."""


class BusSpecError(SensorConfigError):
    """An I2C bus setting is neither a bus number nor ``unix:<path>``."""


class TransferArgumentError(ValueError):
    """A bus call got an argument i2c-dev would refuse (address, register, length, value)."""


class BusTransportError(OSError):
    """The link to the emulated bus failed (connect, timeout, lost connection).

    Carries an errno like the kernel path would (ETIMEDOUT, EIO, ECONNREFUSED...). The
    socket bus reconnects on the next call.
    """

    def __init__(self, code: int, message: str):
        super().__init__(code, message)


class BusProtocolError(BusTransportError):
    """A frame on the bus socket was malformed (ours as judged by the server, or its reply)."""

    def __init__(self, message: str):
        super().__init__(errno.EPROTO, message)


class BusClosedError(BusTransportError):
    """The bus was used after ``close()``."""

    def __init__(self, where: str):
        super().__init__(errno.EBADF, f"I2C bus {where} is closed")


class ChipIdentityError(OSError):
    """The chip at an address is not the expected one (ENODEV: the expected device is
    missing from that address)."""

    def __init__(self, message: str):
        super().__init__(errno.ENODEV, message)
