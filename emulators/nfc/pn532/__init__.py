"""An emulated PN532 on a pseudo-terminal, for nfcpy's real ``tty:NAME:pn532`` driver.

``EmulatedPn532((host, port)).start()`` opens a pty, links it as ``/dev/ttyCOFFEE…`` and
runs the chip, whose antenna speaks nfcpy's udp datagrams to the card side at
``(host, port)``, normally an ``emulators.nfc.Field``; phones are presented there as ever.
"""

from emulators.nfc.pn532.chip import ChipState, Pn532Chip
from emulators.nfc.pn532.device import EmulatedPn532, LineStats
from emulators.nfc.pn532.devnode import DeviceNode
from emulators.nfc.pn532.errors import (
    ChipStartError,
    CommandAborted,
    DeviceNodeError,
    FrameEncodeError,
    InvalidCommand,
    Pn532Error,
)
from emulators.nfc.pn532.udp_bridge import FieldBridge

__all__ = [
    "ChipStartError",
    "ChipState",
    "CommandAborted",
    "DeviceNode",
    "DeviceNodeError",
    "EmulatedPn532",
    "FieldBridge",
    "FrameEncodeError",
    "InvalidCommand",
    "LineStats",
    "Pn532Chip",
    "Pn532Error",
]
