"""Status word → exception mapping of CoffeePay NFC v1 (reader side)."""

from __future__ import annotations

from firmware.nfc import errors

SW_OK = 0x9000

STATUS_ERRORS: dict[int, type[errors.PhoneRefused]] = {
    cls.sw: cls
    for cls in (
        errors.WrongLength,
        errors.PredecessorInvalid,
        errors.PhoneDeclined,
        errors.StaleReceipt,
        errors.MalformedRequest,
        errors.WalletNotInstalled,
        errors.UnknownChannel,
        errors.InstructionNotSupported,
        errors.ClassNotSupported,
    )
}


def error_for_status(command: str, sw: int) -> errors.PhoneRefused:
    """The exception for a non-9000 status word; unknown words become ``UnexpectedStatus``."""
    cls = STATUS_ERRORS.get(sw)
    if cls is None:
        return errors.UnexpectedStatus(command, sw)
    return cls(command)
