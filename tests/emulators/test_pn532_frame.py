"""The PN532 host frame codec: round trips, nfcpy's exact bytes, and every kind of bad frame
reported with its reason while the good frame behind it still gets through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulators.nfc.pn532.errors import FrameEncodeError
from emulators.nfc.pn532.frame import (
    ACK,
    ERROR_FRAME,
    NACK,
    Ack,
    Decoder,
    Frame,
    Malformed,
    Nack,
    encode,
    response,
)

GET_FIRMWARE_VERSION = bytes.fromhex("0000ff02fed4022a00")   # as nfcpy's pn532.init writes it
SAM_CONFIGURATION = bytes.fromhex("0000ff05fbd4140100001700")
LONG_PREAMBLE = bytes(10)


def decode_all(*chunks: bytes, at: float = 0.0) -> list:
    decoder = Decoder()
    return [e for chunk in chunks for e in decoder.feed(chunk, at)]


def test_encodes_the_frames_nfcpys_driver_expects():
    assert encode(bytes.fromhex("d402")) == GET_FIRMWARE_VERSION
    assert response(0x02, bytes.fromhex("32010607")) == bytes.fromhex("0000ff06fad50332010607e800")
    assert response(0x14) == bytes.fromhex("0000ff02fed5151600")
    assert response(0x10) == bytes.fromhex("0000ff02fed5111a00")
    assert bytes.fromhex("0000ff01ff7f8100") == ERROR_FRAME


def test_decodes_nfcpys_init_writes_with_the_long_preamble():
    assert decode_all(LONG_PREAMBLE + GET_FIRMWARE_VERSION, LONG_PREAMBLE + SAM_CONFIGURATION) \
        == [Frame(bytes.fromhex("d402")), Frame(bytes.fromhex("d414010000"))]


def test_ack_and_nack_frames():
    assert decode_all(ACK, NACK, ACK) == [Ack(), Nack(), Ack()]


def test_an_extended_frame_round_trips():
    data = bytes([0xD4, 0x00, 0x00]) + bytes(x % 256 for x in range(262))   # nfcpy's line test
    wire = encode(data)
    assert wire[:5] == bytes.fromhex("0000ffffff") and wire[5:7] == (265).to_bytes(2, "big")
    assert decode_all(wire) == [Frame(data)]


def test_a_normal_frame_with_len_0xff_is_not_taken_for_an_extended_one():
    data = bytes([0xD4, 0x42]) + bytes(253)      # nfcpy frames 253 parameter bytes this way
    wire = b"\x00\x00\xff\xff\x01" + data + bytes([-sum(data) & 0xFF, 0])
    assert decode_all(wire) == [Frame(data)]


@given(st.binary(min_size=1, max_size=600), st.integers(min_value=1, max_value=40))
def test_round_trip_whatever_the_chunking(data, chunk):
    wire = LONG_PREAMBLE + encode(data) + ACK
    decoder = Decoder(max_data=len(data))
    events = [e for i in range(0, len(wire), chunk) for e in decoder.feed(wire[i:i + chunk], 0)]
    assert events == [Frame(data), Ack()]
    assert decoder.pending <= 1


def test_nothing_to_encode_is_refused():
    with pytest.raises(FrameEncodeError, match="at least its TFI"):
        encode(b"")
    with pytest.raises(FrameEncodeError, match="65535"):
        encode(bytes(0x10000))


# -- malformed input: a reason, no event for the frame, the next frame still decoded ---------

GOOD = encode(bytes.fromhex("d402"))


@pytest.mark.parametrize("bad, reason", [
    (bytes.fromhex("0000ff02fdd4022a00"), "length checksum (LCS) is wrong"),
    (bytes.fromhex("0000ff02fed4022b00"), "data checksum (DCS) is wrong"),
    (bytes.fromhex("0000ff00000000"), "LEN is 0"),
    (bytes.fromhex("0000ffffff0200fe") + bytes(512), "exceeds the PN532's 265-byte buffer"),
])
def test_a_malformed_frame_is_reported_and_the_next_one_decoded(bad, reason):
    events = decode_all(bad + GOOD)
    malformed = [e for e in events if isinstance(e, Malformed)]
    assert malformed and reason in malformed[0].reason, events
    assert events[-1] == Frame(bytes.fromhex("d402"))


def test_a_frame_cut_short_by_a_dead_writer_is_abandoned():
    decoder = Decoder()
    assert decoder.feed(GOOD[:6], at=1.0) == []                # LEN says more is coming
    events = decoder.feed(LONG_PREAMBLE + GOOD, at=2.0)        # a new writer, a second later
    assert isinstance(events[0], Malformed) and "abandoned" in events[0].reason
    assert events[1:] == [Frame(bytes.fromhex("d402"))]


def test_a_frame_arriving_in_pieces_in_time_is_not_abandoned():
    decoder = Decoder()
    assert decoder.feed(GOOD[:6], at=1.0) == []
    assert decoder.feed(GOOD[6:], at=1.05) == [Frame(bytes.fromhex("d402"))]


def test_a_frame_hidden_behind_a_corrupt_header_is_found():
    # LEN 0x10 would swallow the real frame; its DCS fails and decoding resumes inside it.
    corrupt = bytes.fromhex("0000ff10f0d4")
    events = decode_all(corrupt + GOOD + bytes(20))
    assert Frame(bytes.fromhex("d402")) in events


def test_the_hsu_wake_up_sequence_is_preamble_not_noise():
    assert decode_all(b"\x55\x55" + bytes(14) + GOOD) == [Frame(bytes.fromhex("d402"))]


@pytest.mark.parametrize("noise", [b"\x12\x34", b"\xff\x01", b"hello"])
def test_noise_is_reported_not_decoded(noise):
    events = decode_all(noise + GOOD)
    assert isinstance(events[0], Malformed) and events[0].raw.strip(b"\x00")
    assert events[-1] == Frame(bytes.fromhex("d402"))


def test_noise_alone_is_reported_and_dropped():
    decoder = Decoder()
    [event] = decoder.feed(b"\x12\x34\x56", at=0)
    assert isinstance(event, Malformed) and event.raw == b"\x12\x34\x56"
    assert decoder.pending == 0
