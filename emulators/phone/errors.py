"""Errors of the emulated phone wallet."""

from __future__ import annotations


class PhoneError(Exception):
    """Base class of the phone emulator's errors."""


class WalletFormatError(PhoneError, ValueError):
    """A persisted wallet (JSON) is missing a field or has a field of the wrong shape."""


class ChannelFormatError(PhoneError, ValueError):
    """A channel key or signer address is not in the expected form."""
