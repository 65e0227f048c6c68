"""Errors of the emulated NFC field."""

from __future__ import annotations


class FieldError(Exception):
    """Base class of the emulated NFC field's errors."""


class FieldStartError(FieldError):
    """The field could not bind its UDP socket (port taken, bad host)."""


class FieldOccupied(FieldError):
    """A phone is already in the field; remove it before presenting another."""


class FieldClosed(FieldError):
    """The field was closed or never started."""


class DatagramError(FieldError):
    """A UDP datagram is not in nfcpy udp.py's ``b"<brty> <hex>"`` / ``b"RFOFF"`` format."""
