"""Errors of the emulated PN532 chip and of the device node nfcpy opens."""

from __future__ import annotations


class Pn532Error(Exception):
    """Base class of the emulated PN532's errors."""


class FrameEncodeError(Pn532Error):
    """A frame to send does not fit the PN532 host frame format (empty, or over 65535 bytes)."""


class DeviceNodeError(Pn532Error):
    """The ``/dev/NAME`` symlink nfcpy's tty transport needs could not be made or removed."""


class ChipStartError(Pn532Error):
    """The chip could not start: no pty, no device node, or the card's udp address is bad."""


class InvalidCommand(Pn532Error):
    """A well-framed command the chip refuses (unknown code, bad parameters): a real PN532
    answers it with the syntax error frame, and so does the emulation."""


class CommandAborted(Pn532Error):
    """The host wrote to the chip while a command waited on the RF side (an ACK cancels the
    running command on a real PN532); the command ends without a response."""
