"""Fuzz the reader's APDU response decoders (firmware/nfc/apdu.py).

A phone is untrusted: whatever it answers, the reader gets a decoded value or an ``NfcError``
(``MalformedResponse`` for a bad 90 00 answer, a ``PhoneRefused`` subclass for any other
status word), never an IndexError or ValueError from the decoder's slicing.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firmware.nfc import apdu
from firmware.nfc.errors import MalformedResponse, NfcError, PhoneRefused, UnexpectedStatus
from firmware.nfc.messages import SIGNATURE_LEN, LastReceipt
from firmware.nfc.status import STATUS_ERRORS
from tests.fuzz.mutations import mutated
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz

DECODERS = {
    "SELECT": (apdu.decode_select, apdu.SELECT_RESPONSE_LEN),
    "SIGN RECEIPT": (apdu.decode_sign_receipt, SIGNATURE_LEN),
    "GET LAST RECEIPT": (apdu.decode_get_last_receipt, apdu.LAST_RECEIPT_RESPONSE_LEN),
}
KNOWN_SWS = [0x9000, 0x6A88, 0x6A86, *STATUS_ERRORS]

rarely = st.sampled_from([False, False, True])
status_words = st.one_of(st.just(0x9000), st.sampled_from(KNOWN_SWS),
                         st.integers(0, 0xFFFF))


@st.composite
def responses(draw: st.DrawFn, data_len: int) -> bytes:
    """Data of about the right length with a likely status word, then damaged."""
    length = draw(st.integers(0, data_len + 4)) if draw(rarely) else data_len
    data = draw(st.binary(min_size=length, max_size=length))
    if data_len == apdu.SELECT_RESPONSE_LEN and data and not draw(rarely):
        data = bytes([apdu.PROTOCOL_VERSION]) + data[1:]
    sw = draw(status_words) if draw(rarely) else 0x9000
    return data + sw.to_bytes(2, "big")


def any_response(command: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=160), mutated(responses(DECODERS[command][1])))


def _check(command: str, response: bytes) -> None:
    decode, expected_len = DECODERS[command]
    out = run_parser(decode, NfcError, response)
    if len(response) < 2:
        assert isinstance(out.error, MalformedResponse)
        return
    sw = int.from_bytes(response[-2:], "big")
    data = response[:-2]
    if out.accepted:
        if command == "GET LAST RECEIPT" and sw == 0x6A88:
            assert out.value is None
            return
        assert sw == 0x9000 and len(data) == expected_len
        return
    if sw == 0x9000:
        assert isinstance(out.error, MalformedResponse)
    else:
        assert isinstance(out.error, PhoneRefused) and out.error.sw == sw
        assert isinstance(out.error, STATUS_ERRORS.get(sw, UnexpectedStatus))


@fuzz()
@given(any_response("SELECT"))
def test_select_response_decodes_or_is_refused_with_an_nfc_error(response: bytes) -> None:
    _check("SELECT", response)


@fuzz()
@given(any_response("SIGN RECEIPT"))
def test_sign_receipt_response_decodes_or_is_refused_with_an_nfc_error(response: bytes) -> None:
    _check("SIGN RECEIPT", response)


@fuzz()
@given(any_response("GET LAST RECEIPT"))
def test_get_last_receipt_response_decodes_or_is_refused_with_an_nfc_error(
        response: bytes) -> None:
    _check("GET LAST RECEIPT", response)


@fuzz()
@given(st.binary(max_size=64))
def test_split_response_keeps_every_byte(response: bytes) -> None:
    out = run_parser(apdu.split_response, MalformedResponse, "FUZZ", response)
    if len(response) < 2:
        assert not out.accepted
        return
    data, sw = out.value
    assert data + sw.to_bytes(2, "big") == response


@fuzz()
@given(address=st.binary(min_size=20, max_size=20))
def test_select_round_trips_the_wallet_address(address: bytes) -> None:
    response = bytes([apdu.PROTOCOL_VERSION]) + address + b"\x90\x00"
    assert apdu.decode_select(response) == address


@fuzz()
@given(sequence=st.integers(0, 2**64 - 1), amount=st.integers(0, 2**256 - 1),
       signature=st.binary(min_size=SIGNATURE_LEN, max_size=SIGNATURE_LEN))
def test_last_receipt_round_trips_every_field_width(sequence: int, amount: int,
                                                    signature: bytes) -> None:
    response = sequence.to_bytes(8, "big") + amount.to_bytes(32, "big") + signature + b"\x90\x00"
    assert apdu.decode_get_last_receipt(response) == LastReceipt(sequence, amount, signature)
    assert apdu.decode_sign_receipt(signature + b"\x90\x00") == signature
