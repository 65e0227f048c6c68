"""Fuzz the firmware's side of the sensor bus socket (firmware/sensors/wire.py).

A reply from the socket is untrusted: headers and bodies of any bytes give a length and a
``(status, payload)``, or ``BusProtocolError`` (an ``OSError`` with EPROTO, which drivers
already handle like a bus fault). Transfer requests are built from any arguments or refused
with ``TransferArgumentError`` before anything is sent.
"""

from __future__ import annotations

import errno

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.sensors import wire
from firmware.sensors.errors import BusProtocolError, TransferArgumentError
from tests.fuzz.mutations import huge_ints, mutated
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz


def result_frame(status: int, payload: bytes) -> bytes:
    body = status.to_bytes(2, "big") + payload
    return wire.HEADER.pack(wire.MAGIC, wire.VERSION, wire.KIND_RESULT, len(body)) + body


results = st.builds(result_frame, st.one_of(st.sampled_from([0, errno.EPROTO, errno.ENXIO]),
                                            st.integers(0, 0xFFFF)), st.binary(max_size=40))
headers = st.one_of(st.binary(max_size=12), mutated(results.map(lambda f: f[:8])),
                    st.builds(wire.HEADER.pack, st.sampled_from([wire.MAGIC, b"I3", b"\0\0"]),
                              st.integers(0, 255), st.sampled_from([0x81, 0x01, 0x80]),
                              st.one_of(st.integers(0, 2**32 - 1),
                                        st.sampled_from([0, 1, 2, wire.MAX_RESULT_BODY,
                                                         wire.MAX_RESULT_BODY + 1]))))


@fuzz()
@given(headers)
def test_reply_header_gives_a_body_length_or_a_protocol_error(header: bytes) -> None:
    out = run_parser(wire.parse_result_header, BusProtocolError, header)
    if out.accepted:
        assert len(header) == wire.HEADER.size
        assert 2 <= out.value <= wire.MAX_RESULT_BODY
    else:
        assert out.error.errno == errno.EPROTO


@fuzz()
@given(st.one_of(st.binary(max_size=40), mutated(results.map(lambda f: f[8:]))))
def test_reply_body_gives_status_and_payload_or_a_protocol_error(body: bytes) -> None:
    out = run_parser(wire.parse_result_body, BusProtocolError, body)
    if out.accepted:
        status, payload = out.value
        assert status.to_bytes(2, "big") + payload == body
    else:
        assert len(body) < 2


@fuzz()
@given(st.one_of(mutated(results), st.binary(max_size=48)))
def test_reply_stream_decodes_or_is_refused(stream: bytes) -> None:
    def parse(raw: bytes) -> tuple[int, bytes] | None:
        length = wire.parse_result_header(raw[:wire.HEADER.size])
        body = raw[wire.HEADER.size:wire.HEADER.size + length]
        return wire.parse_result_body(body) if len(body) == length else None

    run_parser(parse, BusProtocolError, stream)


@st.composite
def message_args(draw: st.DrawFn) -> tuple[object, bool, bytes, int]:
    """Mostly valid ``BusMessage`` arguments, one field at a time out of range."""
    addr, is_read = draw(st.integers(0, 0x7F)), draw(st.booleans())
    data = b"" if is_read else draw(st.binary(max_size=16))
    length = draw(st.integers(0, 16)) if is_read else 0
    bad = draw(st.sampled_from([None, None, None, "addr", "data", "length"]))
    if bad == "addr":
        addr = draw(st.one_of(huge_ints(16), st.booleans()))
    elif bad == "data":
        data = draw(st.binary(min_size=1, max_size=4) | st.just(bytes(wire.MAX_MESSAGE_LEN + 1)))
    elif bad == "length":
        length = draw(huge_ints(20))
    return addr, is_read, data, length


@fuzz()
@given(st.lists(message_args(), max_size=wire.MAX_MESSAGES + 2))
def test_requests_are_encoded_or_refused_with_a_transfer_argument_error(
        args: list[tuple[object, bool, bytes, int]]) -> None:
    def build(all_args: list[tuple[object, bool, bytes, int]]) -> bytes:
        return wire.encode_request([wire.BusMessage(*a) for a in all_args])  # type: ignore[arg-type]

    out = run_parser(build, TransferArgumentError, args)
    if out.accepted:
        frame = out.value
        magic, version, kind, length = wire.HEADER.unpack(frame[:wire.HEADER.size])
        assert (magic, version, kind) == (wire.MAGIC, wire.VERSION, wire.KIND_TRANSFER)
        assert length == len(frame) - wire.HEADER.size and frame[wire.HEADER.size] == len(args)


@pytest.mark.parametrize("header", [b"", b"I2\x01\x81", bytes(9)])
def test_a_reply_header_of_the_wrong_size_is_a_protocol_error(header: bytes) -> None:
    with pytest.raises(BusProtocolError, match="reply header is"):
        wire.parse_result_header(header)


@pytest.mark.parametrize("body", [b"", b"\x00"])
def test_a_reply_body_without_a_status_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(BusProtocolError, match="has no 2-byte status"):
        wire.parse_result_body(body)
