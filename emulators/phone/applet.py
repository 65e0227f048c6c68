"""The CoffeePay wallet applet: answers the three commands of CoffeePay NFC v1 exactly."""

from __future__ import annotations

import logging
import time

from eth_utils import keccak

from emulators.phone import apdu, eip712
from emulators.phone.apdu import ApduLengthError, CommandApdu, SignRequestData
from emulators.phone.behaviour import BadSignature, Behaviour
from emulators.phone.defects import defect
from emulators.phone.receipts import SignedReceipt
from emulators.phone.wallet import Wallet

log = logging.getLogger(__name__)


class CoffeePayApplet:
    """Command APDU in, response APDU (data ‖ SW1 SW2) out. Never raises on bad input."""

    def __init__(self, wallet: Wallet):
        self.wallet = wallet

    def process(self, raw: bytes, behaviour: Behaviour | None = None) -> bytes:
        behaviour = behaviour or Behaviour()
        with self.wallet.lock:
            if not self.wallet.enabled:
                return apdu.SW_NOT_INSTALLED
            if len(raw) < 4:
                return apdu.SW_WRONG_LENGTH
            cla, ins = raw[0], raw[1]
            handlers = {
                apdu.CLA_ISO: {apdu.INS_SELECT: self._select},
                apdu.CLA_COFFEEPAY: {apdu.INS_SIGN_RECEIPT: self._sign_receipt,
                                     apdu.INS_GET_LAST_RECEIPT: self._get_last_receipt},
            }
            if cla not in handlers:
                return apdu.SW_CLA_NOT_SUPPORTED
            handler = handlers[cla].get(ins)
            if handler is None:
                return apdu.SW_INS_NOT_SUPPORTED
            try:
                command = apdu.parse_command(raw)
            except ApduLengthError as exc:
                log.info("wallet %s: 67 00 (%s)", self.wallet.address, exc)
                return apdu.SW_WRONG_LENGTH
            return handler(command, behaviour)

    def _select(self, command: CommandApdu, behaviour: Behaviour) -> bytes:
        if (command.p1, command.p2) != (0x04, 0x00):
            return apdu.SW_WRONG_P1P2
        if command.data != apdu.AID:
            return apdu.SW_NOT_INSTALLED
        address = bytes.fromhex(self.wallet.address[2:])
        return bytes([apdu.PROTOCOL_VERSION]) + address + apdu.SW_OK

    def _get_last_receipt(self, command: CommandApdu, behaviour: Behaviour) -> bytes:
        if (command.p1, command.p2) != (0, 0):
            return apdu.SW_WRONG_P1P2
        if len(command.data) != apdu.GET_LAST_RECEIPT_LC:
            return apdu.SW_WRONG_LENGTH
        channel = apdu.parse_channel(command.data)
        last = self.wallet.last_receipt(channel)
        if self.wallet.signers(channel) is None or last is None:
            return apdu.SW_UNKNOWN_CHANNEL
        return (last.sequence.to_bytes(8, "big") + last.cumulative_amount.to_bytes(32, "big")
                + last.signature + apdu.SW_OK)

    def _sign_receipt(self, command: CommandApdu, behaviour: Behaviour) -> bytes:
        if (command.p1, command.p2) != (0, 0):
            return apdu.SW_WRONG_P1P2
        if len(command.data) != apdu.SIGN_RECEIPT_LC:
            return apdu.SW_WRONG_LENGTH
        request = SignRequestData.parse(command.data)
        refusal = self._refusal(request, behaviour)
        if refusal is not None:
            return refusal
        cheat = self._cheat(request, behaviour)
        if cheat is not None:
            return cheat + apdu.SW_OK
        # A phone told to sign another amount signs (and records) that one: a valid receipt,
        # but not the one the machine asked for.
        amount = request.cumulative_amount + behaviour.other_amount
        if amount <= 0:
            return apdu.SW_MALFORMED
        signature = eip712.sign_receipt(bytes(self.wallet.account.key), request.channel,
                                        amount, request.sequence)
        if not defect("phone_no_log"):
            self.wallet.log.append(SignedReceipt(
                counter=self.wallet.log.next_counter, channel=request.channel,
                sequence=request.sequence, cumulative_amount=amount,
                price=request.price, product_id=request.product_id, signature=signature,
                signer=self.wallet.address, signed_at=time.time()))
        return signature + apdu.SW_OK

    def _refusal(self, request: SignRequestData, behaviour: Behaviour) -> bytes | None:
        """The doc's checks, in the doc's order; the first failure's status word."""
        why = request.malformed()
        if why is not None:
            log.info("wallet %s: 6A 80 (%s)", self.wallet.address, why)
            return apdu.SW_MALFORMED
        signers = self.wallet.signers(request.channel)
        if signers is None:
            return apdu.SW_UNKNOWN_CHANNEL
        if request.sequence > 1 and not defect("phone_no_predecessor_check"):
            signer = eip712.recover_signer(
                request.channel, request.cumulative_amount - request.price,
                request.sequence - 1, request.predecessor_signature)
            if signer is None or signer not in signers:
                return apdu.SW_PREDECESSOR_INVALID
        last = self.wallet.last_receipt(request.channel)
        if (last is not None and last.sequence >= request.sequence
                and not defect("phone_no_stale_check")):
            return apdu.SW_STALE
        limit = self.wallet.per_purchase_limit
        if behaviour.decline or (limit is not None and request.price > limit):
            return apdu.SW_DECLINED
        return None

    def _cheat(self, request: SignRequestData, behaviour: Behaviour) -> bytes | None:
        """A well-formed but worthless signature when told to cheat, else None.

        Nothing is logged: the phone released no valid receipt, so the machine's retry
        with the same sequence is not stale.
        """
        if behaviour.replay_old_signature:
            earlier = self.wallet.receipts()
            same_channel = [e for e in earlier if e.channel == request.channel]
            if same_channel or earlier:
                return (same_channel or list(earlier))[-1].signature
            return request.predecessor_signature
        if behaviour.bad_signature is BadSignature.WRONG_KEY:
            stranger = keccak(bytes(self.wallet.account.key) + b"coffeepay-stranger")
            return eip712.sign_receipt(stranger, request.channel, request.cumulative_amount,
                                       request.sequence)
        if behaviour.bad_signature is BadSignature.CORRUPTED:
            genuine = eip712.sign_receipt(bytes(self.wallet.account.key), request.channel,
                                          request.cumulative_amount, request.sequence)
            r = (int.from_bytes(genuine[:32], "big") ^ 0x01).to_bytes(32, "big")
            return r + genuine[32:]
        return None
