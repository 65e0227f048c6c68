"""Emulated NFC link: the RF field and the card side (ISO-DEP) of a phone in HCE mode."""

from emulators.nfc.anticollision import TypeAIdentity
from emulators.nfc.application import CardAction, CardApplication
from emulators.nfc.errors import (
    DatagramError,
    FieldClosed,
    FieldError,
    FieldOccupied,
    FieldStartError,
)
from emulators.nfc.field import Field
from emulators.nfc.isodep import IsoDepCard, IsoDepTiming, Reply
from emulators.nfc.presentation import TapEnd

__all__ = [
    "CardAction",
    "CardApplication",
    "DatagramError",
    "Field",
    "FieldClosed",
    "FieldError",
    "FieldOccupied",
    "FieldStartError",
    "IsoDepCard",
    "IsoDepTiming",
    "Reply",
    "TapEnd",
    "TypeAIdentity",
]
