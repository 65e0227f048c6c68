"""Errors of the emulated sensor boards, each saying what was wrong and where."""

from __future__ import annotations

import errno
import os


class SensorEmulatorError(Exception):
    """Base class for misuse of the emulated sensor boards by the rig."""


class InvalidValueError(SensorEmulatorError, ValueError):
    """A scripted physical value cannot be represented by the chip's registers."""


class UnknownModelError(SensorEmulatorError, KeyError):
    """No device model is registered under the requested name."""

    def __str__(self) -> str:
        return str(self.args[0])


class DuplicateModelError(SensorEmulatorError):
    """Two different classes tried to register under the same model name."""


class AddressError(SensorEmulatorError, ValueError):
    """An address is not a 7-bit I2C address, or is already taken / not attached."""


class BusServerError(SensorEmulatorError):
    """The Unix-socket bus server could not start or was used after ``close()``."""


class DataNack(Exception):
    """A device refused (NACKed) a data byte; the bus ends the transfer with EREMOTEIO."""


class TransferError(Exception):
    """A bus transfer failed the way i2c-dev fails it: an errno plus a detail for humans."""

    def __init__(self, code: int, detail: str):
        super().__init__(f"{os.strerror(code)}: {detail}")
        self.errno = code
        self.detail = detail

    @classmethod
    def nack(cls, detail: str) -> TransferError:
        return cls(errno.EREMOTEIO, detail)

    @classmethod
    def absent(cls, detail: str) -> TransferError:
        return cls(errno.ENXIO, detail)


class FrameError(Exception):
    """A request frame on the socket is malformed; the connection is answered and closed."""
