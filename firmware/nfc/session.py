"""One phone in the reader's field: the three CoffeePay commands over ISO-DEP."""

from __future__ import annotations

import logging

import nfc.clf
import nfc.tag
from eth_utils import to_checksum_address

from firmware.nfc import apdu
from firmware.nfc.errors import PhoneLost
from firmware.nfc.messages import ChannelRef, LastReceipt, SignRequest

log = logging.getLogger(__name__)

S_DESELECT = b"\xc2"

# nfcpy's ISO-DEP initiator indexes into received frames without length checks, so a
# garbled frame surfaces as IndexError/TypeError; OSError is the socket or USB failing.
_LINK_ERRORS = (nfc.tag.TagCommandError, nfc.clf.CommunicationError, OSError, IndexError,
                TypeError)


class PhoneSession:
    """An activated phone (nfcpy Type 4A tag). Any link failure ends it with ``PhoneLost``.

    After ``PhoneLost`` the session is over: every later call raises ``PhoneLost`` again, so a
    caller can never carry on half-way through a payment with a phone that left.
    """

    def __init__(self, tag: nfc.tag.Tag, deselect_timeout: float = 0.02):
        self._tag = tag
        self._deselect_timeout = deselect_timeout
        self._ended: str | None = None

    @property
    def uid(self) -> bytes:
        """The anticollision UID: random per tap on phones, for logs only, never identity."""
        return bytes(self._tag.identifier)

    @property
    def active(self) -> bool:
        return self._ended is None

    def select(self) -> str:
        """SELECT the CoffeePay application; the wallet's checksummed signing address."""
        response = self._transceive("SELECT", apdu.encode_select())
        return to_checksum_address(apdu.decode_select(response))

    def sign_receipt(self, request: SignRequest) -> bytes:
        """SIGN RECEIPT; the phone's 65-byte signature, not yet verified."""
        response = self._transceive("SIGN RECEIPT", apdu.encode_sign_receipt(request))
        return apdu.decode_sign_receipt(response)

    def get_last_receipt(self, chain_id: int, contract: bytes | str,
                         channel_id: bytes | str) -> LastReceipt | None:
        """GET LAST RECEIPT; None when the phone signed nothing on that channel."""
        channel = ChannelRef(chain_id, contract, channel_id)
        response = self._transceive("GET LAST RECEIPT", apdu.encode_get_last_receipt(channel))
        return apdu.decode_get_last_receipt(response)

    def close(self) -> None:
        """Deselect the phone (best effort) and end the session; idempotent."""
        if self._ended is not None:
            return
        self._ended = "closed by the reader"
        try:
            self._tag.clf.exchange(S_DESELECT, self._deselect_timeout)
        except _LINK_ERRORS as exc:
            log.debug("DESELECT got no answer (%s); the phone may already be gone", exc)

    def _transceive(self, command: str, frame: bytes) -> bytes:
        if self._ended is not None:
            raise PhoneLost(f"{command}: the phone session already ended ({self._ended})")
        try:
            response = self._tag.transceive(frame)
        except _LINK_ERRORS as exc:
            self._ended = f"link lost during {command}"
            raise PhoneLost(
                f"{command}: the phone left the field or the link broke "
                f"({type(exc).__name__}: {exc}); the outcome is unknown") from exc
        if response is None:
            self._ended = f"link lost during {command}"
            raise PhoneLost(f"{command}: the reader lost its target; the outcome is unknown")
        return bytes(response)
