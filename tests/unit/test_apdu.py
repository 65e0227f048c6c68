"""Reader-side codec of CoffeePay NFC v1: exact bytes out, every status word and shape in."""

from __future__ import annotations

import pytest

from firmware.nfc import apdu, errors
from firmware.nfc.messages import ZERO_SIGNATURE, ChannelRef, LastReceipt, SignRequest

CONTRACT = bytes.fromhex("5FbDB2315678afecb367f032d93F642f64180aa3")
CHANNEL_ID = bytes(range(32))
CHANNEL = ChannelRef(31337, CONTRACT, CHANNEL_ID)
SIG = bytes(range(64)) + b"\x1b"


def _request(**overrides: object) -> SignRequest:
    fields: dict[str, object] = dict(channel=CHANNEL, sequence=3, cumulative_amount=750,
                                     price=250, product_id=0x0102, predecessor_signature=SIG)
    fields.update(overrides)
    return SignRequest(**fields)  # type: ignore[arg-type]


# -- commands ----------------------------------------------------------------------------

def test_select_is_the_exact_bytes_of_the_protocol():
    assert apdu.encode_select() == bytes.fromhex("00A4040008F0434F464645450100")


def test_sign_receipt_puts_every_field_at_its_offset():
    command = apdu.encode_sign_receipt(_request())
    assert command[:5] == bytes.fromhex("80100000C7")
    assert command[-1] == 0x00 and len(command) == 5 + 199 + 1
    data = command[5:-1]
    assert data[0:8] == (31337).to_bytes(8, "big")
    assert data[8:28] == CONTRACT
    assert data[28:60] == CHANNEL_ID
    assert data[60:68] == (3).to_bytes(8, "big")
    assert data[68:100] == (750).to_bytes(32, "big")
    assert data[100:132] == (250).to_bytes(32, "big")
    assert data[132:134] == b"\x01\x02"
    assert data[134:199] == SIG


def test_first_receipt_carries_65_zero_bytes_by_default():
    request = SignRequest(CHANNEL, 1, 100, 100, 7)
    assert apdu.encode_sign_receipt(request)[5 + 134:-1] == ZERO_SIGNATURE


def test_get_last_receipt_is_header_channel_le():
    command = apdu.encode_get_last_receipt(CHANNEL)
    assert command == (bytes.fromhex("801200003C") + (31337).to_bytes(8, "big") + CONTRACT
                       + CHANNEL_ID + b"\x00")


def test_channel_accepts_hex_strings_like_config_files_hold():
    ref = ChannelRef(5, "0x" + CONTRACT.hex(), "0x" + CHANNEL_ID.hex())
    assert ref == ChannelRef(5, CONTRACT, CHANNEL_ID)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"sequence": 1 << 64}, "sequence"),
    ({"sequence": -1}, "sequence"),
    ({"cumulative_amount": 1 << 256}, "cumulative_amount"),
    ({"price": -5}, "price"),
    ({"product_id": 0x10000}, "product_id"),
    ({"product_id": True}, "product_id"),
    ({"predecessor_signature": bytes(64)}, "predecessor_signature"),
])
def test_fields_that_do_not_fit_their_width_are_rejected_by_name(overrides, field):
    with pytest.raises(errors.RequestEncodingError, match=field):
        _request(**overrides)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"contract": bytes(19)}, "contract"),
    ({"contract": "0xnothex"}, "contract"),
    ({"channel_id": bytes(31)}, "channel_id"),
    ({"chain_id": 1 << 64}, "chain_id"),
])
def test_channel_fields_are_checked(kwargs, field):
    values = {"chain_id": 1, "contract": CONTRACT, "channel_id": CHANNEL_ID, **kwargs}
    with pytest.raises(errors.RequestEncodingError, match=field):
        ChannelRef(**values)


def test_semantically_odd_requests_still_encode_so_the_phone_can_judge_them():
    command = apdu.encode_sign_receipt(_request(sequence=0, price=0))
    assert command[5 + 60:5 + 68] == bytes(8)


# -- responses ---------------------------------------------------------------------------

ADDRESS = bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")


def test_select_response_yields_the_wallet_address():
    assert apdu.decode_select(b"\x01" + ADDRESS + b"\x90\x00") == ADDRESS


def test_select_from_another_protocol_version_is_malformed():
    with pytest.raises(errors.MalformedResponse, match="version 2"):
        apdu.decode_select(b"\x02" + ADDRESS + b"\x90\x00")


@pytest.mark.parametrize("data", [b"", b"\x01" + ADDRESS[:-1], b"\x01" + ADDRESS + b"\x00"])
def test_select_response_of_the_wrong_length_is_malformed(data):
    with pytest.raises(errors.MalformedResponse, match="21 data bytes"):
        apdu.decode_select(data + b"\x90\x00")


def test_sign_response_yields_the_65_byte_signature_unverified():
    assert apdu.decode_sign_receipt(SIG + b"\x90\x00") == SIG


@pytest.mark.parametrize("size", [0, 64, 66])
def test_sign_response_of_the_wrong_length_is_malformed(size):
    with pytest.raises(errors.MalformedResponse, match="65 data bytes"):
        apdu.decode_sign_receipt(bytes(size) + b"\x90\x00")


@pytest.mark.parametrize("response", [b"", b"\x90"])
@pytest.mark.parametrize("decode", [apdu.decode_select, apdu.decode_sign_receipt,
                                    apdu.decode_get_last_receipt])
def test_a_response_without_status_word_is_a_clear_error(decode, response):
    with pytest.raises(errors.MalformedResponse, match="no status word"):
        decode(response)


STATUS_TABLE = [
    (0x6700, errors.WrongLength),
    (0x6982, errors.PredecessorInvalid),
    (0x6985, errors.PhoneDeclined),
    (0x6986, errors.StaleReceipt),
    (0x6A80, errors.MalformedRequest),
    (0x6A82, errors.WalletNotInstalled),
    (0x6A88, errors.UnknownChannel),
    (0x6D00, errors.InstructionNotSupported),
    (0x6E00, errors.ClassNotSupported),
]


@pytest.mark.parametrize(("sw", "exc"), STATUS_TABLE)
def test_every_protocol_status_word_of_sign_has_its_exception(sw, exc):
    with pytest.raises(exc) as caught:
        apdu.decode_sign_receipt(sw.to_bytes(2, "big"))
    assert caught.value.sw == sw
    assert f"{sw:04X}" in str(caught.value) and "SIGN RECEIPT" in str(caught.value)
    assert isinstance(caught.value, errors.PhoneRefused)


@pytest.mark.parametrize("sw", [0x6A86, 0x6F00, 0x9001, 0x0000])
def test_other_status_words_are_unexpected_status_with_the_word(sw):
    with pytest.raises(errors.UnexpectedStatus) as caught:
        apdu.decode_sign_receipt(sw.to_bytes(2, "big"))
    assert caught.value.sw == sw


def test_each_exception_class_carries_a_distinct_status_word():
    words = [exc.sw for _, exc in STATUS_TABLE]
    assert len(set(words)) == len(words) == len(STATUS_TABLE)
    assert all(sw == exc.sw for sw, exc in STATUS_TABLE)


def test_error_status_wins_over_trailing_data():
    with pytest.raises(errors.PhoneDeclined):
        apdu.decode_sign_receipt(SIG + b"\x69\x85")


def test_select_of_a_phone_without_the_wallet_is_wallet_not_installed():
    with pytest.raises(errors.WalletNotInstalled, match="SELECT"):
        apdu.decode_select(b"\x6a\x82")


def test_last_receipt_is_decoded_field_by_field():
    data = (9).to_bytes(8, "big") + (123456).to_bytes(32, "big") + SIG
    assert apdu.decode_get_last_receipt(data + b"\x90\x00") == LastReceipt(9, 123456, SIG)


def test_last_receipt_unknown_channel_means_none_signed():
    assert apdu.decode_get_last_receipt(b"\x6a\x88") is None


@pytest.mark.parametrize("size", [0, 104, 106])
def test_last_receipt_of_the_wrong_length_is_malformed(size):
    with pytest.raises(errors.MalformedResponse, match="105 data bytes"):
        apdu.decode_get_last_receipt(bytes(size) + b"\x90\x00")


@pytest.mark.parametrize(("sw", "exc"), [s for s in STATUS_TABLE if s[0] != 0x6A88])
def test_last_receipt_other_status_words_raise(sw, exc):
    with pytest.raises(exc):
        apdu.decode_get_last_receipt(sw.to_bytes(2, "big"))


def test_all_reader_errors_share_one_base():
    for exc in (errors.PhoneLost, errors.MalformedResponse, errors.ReaderUnavailable,
                errors.RequestEncodingError, errors.UnexpectedStatus):
        assert issubclass(exc, errors.NfcError)
    assert not issubclass(errors.PhoneLost, errors.PhoneRefused)
