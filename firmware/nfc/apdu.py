"""CoffeePay NFC v1 APDUs, reader side: build the three commands, decode their responses."""

from __future__ import annotations

from firmware.nfc.errors import MalformedResponse
from firmware.nfc.messages import SIGNATURE_LEN, ChannelRef, LastReceipt, SignRequest
from firmware.nfc.status import SW_OK, error_for_status

AID = bytes.fromhex("F0434F4646454501")
PROTOCOL_VERSION = 0x01
CLA_ISO, INS_SELECT = 0x00, 0xA4
CLA_COFFEEPAY, INS_SIGN_RECEIPT, INS_GET_LAST_RECEIPT = 0x80, 0x10, 0x12

SELECT_RESPONSE_LEN = 21
LAST_RECEIPT_RESPONSE_LEN = 8 + 32 + SIGNATURE_LEN


def _command(cla: int, ins: int, p1: int, p2: int, data: bytes) -> bytes:
    """Short case-4 APDU: header ‖ Lc ‖ data ‖ Le=00."""
    return bytes([cla, ins, p1, p2, len(data)]) + data + b"\x00"


def encode_select() -> bytes:
    return _command(CLA_ISO, INS_SELECT, 0x04, 0x00, AID)


def encode_sign_receipt(request: SignRequest) -> bytes:
    return _command(CLA_COFFEEPAY, INS_SIGN_RECEIPT, 0, 0, request.encode())


def encode_get_last_receipt(channel: ChannelRef) -> bytes:
    return _command(CLA_COFFEEPAY, INS_GET_LAST_RECEIPT, 0, 0, channel.encode())


def split_response(command: str, response: bytes) -> tuple[bytes, int]:
    """(data, status word) of a response APDU; a response without a status word is malformed."""
    if len(response) < 2:
        raise MalformedResponse(
            f"{command}: response of {len(response)} byte(s) has no status word: "
            f"{bytes(response).hex()!r}")
    return bytes(response[:-2]), int.from_bytes(response[-2:], "big")


def _ok_data(command: str, response: bytes, expected_len: int) -> bytes:
    data, sw = split_response(command, response)
    if sw != SW_OK:
        raise error_for_status(command, sw)
    if len(data) != expected_len:
        raise MalformedResponse(
            f"{command}: expected {expected_len} data bytes before 90 00, got {len(data)}")
    return data


def decode_select(response: bytes) -> bytes:
    """The wallet's 20-byte signing address."""
    data = _ok_data("SELECT", response, SELECT_RESPONSE_LEN)
    if data[0] != PROTOCOL_VERSION:
        raise MalformedResponse(
            f"SELECT: phone speaks CoffeePay NFC version {data[0]}, this reader speaks "
            f"version {PROTOCOL_VERSION}")
    return data[1:]


def decode_sign_receipt(response: bytes) -> bytes:
    """The 65-byte signature r ‖ s ‖ v (not verified here: that is the receipt module's job)."""
    return _ok_data("SIGN RECEIPT", response, SIGNATURE_LEN)


def decode_get_last_receipt(response: bytes) -> LastReceipt | None:
    """The phone's last receipt on the channel, or None when it signed none there (6A 88)."""
    data, sw = split_response("GET LAST RECEIPT", response)
    if sw == 0x6A88:
        return None
    data = _ok_data("GET LAST RECEIPT", response, LAST_RECEIPT_RESPONSE_LEN)
    return LastReceipt(
        sequence=int.from_bytes(data[:8], "big"),
        cumulative_amount=int.from_bytes(data[8:40], "big"),
        signature=data[40:],
    )
