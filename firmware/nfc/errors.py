"""Errors of the machine's NFC reader side.

Every way a tap can go wrong is its own exception, so the payment code can decide per case
(retry the tap, ask the phone for its last receipt, tell the user) without parsing strings.
"""

from __future__ import annotations


class NfcError(Exception):
    """Base class of everything the NFC reader side raises."""


class ReaderUnavailable(NfcError):
    """The NFC device cannot be opened or stopped working (unplugged, wrong path, no field)."""


class PhoneLost(NfcError):
    """The phone left the field or the link broke: the command's outcome is unknown.

    A phone may have signed a receipt whose response never arrived; the caller should ask
    for GET LAST RECEIPT on the next tap rather than assume nothing was signed.
    """


class MalformedResponse(NfcError):
    """The phone answered 90 00 but the data does not have the protocol's shape."""


class RequestEncodingError(NfcError, ValueError):
    """A request field does not fit its wire width (a bug on the machine's side)."""


class PhoneRefused(NfcError):
    """The phone answered a status word other than 90 00."""

    sw: int = 0
    meaning = "unexpected status"

    def __init__(self, command: str, sw: int | None = None):
        if sw is not None:
            self.sw = sw
        self.command = command
        super().__init__(f"{command}: phone answered {self.sw:04X} ({self.meaning})")


class WrongLength(PhoneRefused):
    sw, meaning = 0x6700, "wrong length: the phone rejected the APDU's Lc"


class PredecessorInvalid(PhoneRefused):
    sw, meaning = 0x6982, "predecessor signature does not recover to an authorised signer"


class PhoneDeclined(PhoneRefused):
    sw, meaning = 0x6985, "declined by the user or above the wallet's per-purchase limit"


class StaleReceipt(PhoneRefused):
    sw, meaning = 0x6986, (
        "stale: the phone already signed this sequence or a later one; fetch its last receipt")


class MalformedRequest(PhoneRefused):
    sw, meaning = 0x6A80, "malformed request (sequence, price or predecessor inconsistent)"


class WalletNotInstalled(PhoneRefused):
    sw, meaning = 0x6A82, "CoffeePay wallet not installed or disabled on this phone"


class UnknownChannel(PhoneRefused):
    sw, meaning = 0x6A88, "the wallet holds no such channel"


class InstructionNotSupported(PhoneRefused):
    sw, meaning = 0x6D00, "instruction not supported"


class ClassNotSupported(PhoneRefused):
    sw, meaning = 0x6E00, "class not supported"


class UnexpectedStatus(PhoneRefused):
    """A status word the protocol does not define for this command."""
