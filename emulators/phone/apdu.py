"""Card-side view of CoffeePay NFC v1 APDUs: parsing commands, status words, the request."""

from __future__ import annotations

from dataclasses import dataclass

from emulators.phone.channels import ChannelKey

AID = bytes.fromhex("F0434F4646454501")
PROTOCOL_VERSION = 0x01
CLA_ISO, INS_SELECT = 0x00, 0xA4
CLA_COFFEEPAY, INS_SIGN_RECEIPT, INS_GET_LAST_RECEIPT = 0x80, 0x10, 0x12
SIGN_RECEIPT_LC, GET_LAST_RECEIPT_LC = 199, 60

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_PREDECESSOR_INVALID = b"\x69\x82"
SW_DECLINED = b"\x69\x85"
SW_STALE = b"\x69\x86"
SW_MALFORMED = b"\x6a\x80"
SW_NOT_INSTALLED = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_UNKNOWN_CHANNEL = b"\x6a\x88"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"


class ApduLengthError(ValueError):
    """The APDU's length bytes do not match its size (answered with 67 00)."""


@dataclass(frozen=True)
class CommandApdu:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None


def parse_command(raw: bytes) -> CommandApdu:
    """A short APDU, cases 1-4. Extended lengths (Lc byte 00) are not part of the protocol."""
    if len(raw) < 4:
        raise ApduLengthError(f"an APDU has a 4-byte header, got {len(raw)} bytes")
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    if not body:
        return CommandApdu(cla, ins, p1, p2, b"", None)
    if len(body) == 1:
        return CommandApdu(cla, ins, p1, p2, b"", body[0])
    lc = body[0]
    if lc == 0:
        raise ApduLengthError("Lc 00 announces an extended APDU; only short APDUs are supported")
    if len(body) == 1 + lc:
        return CommandApdu(cla, ins, p1, p2, bytes(body[1:]), None)
    if len(body) == 2 + lc:
        return CommandApdu(cla, ins, p1, p2, bytes(body[1:-1]), body[-1])
    raise ApduLengthError(f"Lc {lc} does not match the {len(body) - 1} bytes that follow")


@dataclass(frozen=True)
class SignRequestData:
    """The 199-byte SIGN RECEIPT data field."""

    channel: ChannelKey
    sequence: int
    cumulative_amount: int
    price: int
    product_id: int
    predecessor_signature: bytes

    @classmethod
    def parse(cls, data: bytes) -> SignRequestData:
        if len(data) != SIGN_RECEIPT_LC:
            raise ApduLengthError(f"SIGN RECEIPT data is {SIGN_RECEIPT_LC} bytes, got {len(data)}")
        return cls(
            channel=parse_channel(data[:60]),
            sequence=int.from_bytes(data[60:68], "big"),
            cumulative_amount=int.from_bytes(data[68:100], "big"),
            price=int.from_bytes(data[100:132], "big"),
            product_id=int.from_bytes(data[132:134], "big"),
            predecessor_signature=bytes(data[134:199]),
        )

    def malformed(self) -> str | None:
        """Why the request is malformed (6A 80), or None."""
        if self.sequence == 0:
            return "sequence 0"
        if self.price == 0:
            return "price 0"
        if self.price > self.cumulative_amount:
            return "price above cumulativeAmount"
        if self.sequence == 1 and any(self.predecessor_signature):
            return "sequence 1 with a predecessor signature"
        if self.sequence == 1 and self.cumulative_amount != self.price:
            return "sequence 1 with cumulativeAmount ≠ price"
        return None


def parse_channel(data: bytes) -> ChannelKey:
    """chainId (8) ‖ verifyingContract (20) ‖ channelId (32)."""
    return ChannelKey(int.from_bytes(data[:8], "big"), bytes(data[8:28]), bytes(data[28:60]))
