"""The machine's NFC reader side of CoffeePay NFC v1 (ISO-DEP initiator over nfcpy)."""

from firmware.nfc.errors import (
    ClassNotSupported,
    InstructionNotSupported,
    MalformedRequest,
    MalformedResponse,
    NfcError,
    PhoneDeclined,
    PhoneLost,
    PhoneRefused,
    PredecessorInvalid,
    ReaderUnavailable,
    RequestEncodingError,
    StaleReceipt,
    UnexpectedStatus,
    UnknownChannel,
    WalletNotInstalled,
    WrongLength,
)
from firmware.nfc.messages import ZERO_SIGNATURE, ChannelRef, LastReceipt, SignRequest
from firmware.nfc.reader import NfcReader, ReaderStats
from firmware.nfc.session import PhoneSession

__all__ = [
    "ZERO_SIGNATURE",
    "ChannelRef",
    "ClassNotSupported",
    "InstructionNotSupported",
    "LastReceipt",
    "MalformedRequest",
    "MalformedResponse",
    "NfcError",
    "NfcReader",
    "PhoneDeclined",
    "PhoneLost",
    "PhoneRefused",
    "PhoneSession",
    "PredecessorInvalid",
    "ReaderStats",
    "ReaderUnavailable",
    "RequestEncodingError",
    "SignRequest",
    "StaleReceipt",
    "UnexpectedStatus",
    "UnknownChannel",
    "WalletNotInstalled",
    "WrongLength",
]
