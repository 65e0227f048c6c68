"""Fuzz the emulated bus's request decoder (emulators/sensors/wire.py).

Whatever a client sends, the server gets messages or a ``FrameError`` (which it answers with
EPROTO), never a ``struct.error``/``IndexError``; what it accepts holds every byte of the
body and equals what the firmware's encoder put in.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulators.sensors import wire
from emulators.sensors.errors import FrameError
from emulators.sensors.transfer import MAX_MESSAGE_LEN, I2CMessage
from firmware.sensors import wire as fw_wire
from tests.fuzz.mutations import mutated
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz

fw_messages = st.one_of(
    st.builds(fw_wire.BusMessage.read, st.integers(0, 0x7F),
              st.one_of(st.integers(0, 4), st.integers(0, MAX_MESSAGE_LEN))),
    st.builds(fw_wire.BusMessage.write, st.integers(0, 0x7F), st.binary(max_size=24)),
)
transfers = st.lists(fw_messages, min_size=1, max_size=5)
requests = transfers.map(fw_wire.encode_request)


@st.composite
def structured_bodies(draw: st.DrawFn) -> bytes:
    """A body with a plausible count, flags, addresses and lengths, some of them lying."""
    n = draw(st.integers(0, 6))
    lie = st.sampled_from([False, False, False, True])
    count = draw(st.sampled_from([0, n + 1, 41, 42, 43, 255])) if draw(lie) else n
    body = bytearray([count])
    for _ in range(n):
        addr = draw(st.integers(0, 255)) if draw(lie) else draw(st.integers(0, 0x7F))
        flags = draw(st.sampled_from([2, 3, 0x80, 0xFF])) if draw(lie) else draw(st.integers(0, 1))
        data = draw(st.binary(max_size=8))
        length = draw(st.sampled_from([len(data) + 1, 8193, 0xFFFF])) if draw(lie) else len(data)
        body += wire.MESSAGE.pack(addr, flags, length) + (b"" if flags & 1 else data)
    return bytes(body)


def read_request(stream: bytes) -> list[I2CMessage] | None:
    """What the server's connection loop does with a byte stream; None: still waiting."""
    if len(stream) < 2:
        return None
    wire.check_magic(stream[:2])
    if len(stream) < wire.HEADER.size:
        return None
    length = wire.parse_header(stream[:wire.HEADER.size])
    body = stream[wire.HEADER.size:wire.HEADER.size + length]
    if len(body) < length:
        return None
    return wire.parse_body(body)


def headed(body: bytes) -> bytes:
    return wire.HEADER.pack(wire.MAGIC, wire.VERSION, wire.KIND_TRANSFER, len(body)) + body


streams = st.one_of(mutated(requests), structured_bodies().map(headed), st.binary(max_size=64),
                    mutated(structured_bodies().map(headed)))


@fuzz(weight=2)
@given(streams)
def test_any_stream_gives_messages_or_a_frame_error(stream: bytes) -> None:
    out = run_parser(read_request, FrameError, stream)
    if out.accepted and out.value is not None:
        assert 1 <= len(out.value) <= wire.MAX_MESSAGES
        assert all(isinstance(m, I2CMessage) for m in out.value)


@fuzz()
@given(st.one_of(st.binary(max_size=12), mutated(requests.map(lambda r: r[:8]))))
def test_parse_header_takes_any_bytes(header: bytes) -> None:
    out = run_parser(wire.parse_header, FrameError, header)
    if out.accepted:
        assert len(header) == wire.HEADER.size and 1 <= out.value <= wire.MAX_BODY


@fuzz()
@given(st.one_of(st.binary(max_size=40), structured_bodies(), mutated(structured_bodies())))
def test_parse_body_accounts_for_every_byte_or_refuses(body: bytes) -> None:
    out = run_parser(wire.parse_body, FrameError, body)
    if out.accepted:
        rebuilt = bytes([len(out.value)]) + b"".join(
            wire.MESSAGE.pack(m.addr, int(m.is_read), m.length if m.is_read else len(m.data))
            + m.data for m in out.value)
        assert rebuilt == body


@fuzz()
@given(transfers)
def test_every_transfer_the_firmware_encodes_decodes_to_the_same_messages(
        messages: list[fw_wire.BusMessage]) -> None:
    decoded = read_request(fw_wire.encode_request(messages))
    assert decoded is not None
    assert [(m.addr, m.is_read, m.data, m.length) for m in decoded] == \
        [(m.addr, m.is_read, m.data, m.length) for m in messages]


@fuzz()
@given(status=st.integers(0, 0xFFFF), payload=st.binary(max_size=300))
def test_every_result_the_bus_encodes_decodes_on_the_firmware_side(status: int,
                                                                   payload: bytes) -> None:
    frame = wire.encode_result(status, payload)
    length = fw_wire.parse_result_header(frame[:wire.HEADER.size])
    assert fw_wire.parse_result_body(frame[wire.HEADER.size:wire.HEADER.size + length]) == \
        (status, payload)


@pytest.mark.parametrize("header", [b"", b"I2", b"I2\x01\x01\x00\x00\x00", bytes(9)])
def test_a_header_of_the_wrong_size_is_a_frame_error(header: bytes) -> None:
    with pytest.raises(FrameError, match="header is 8 bytes"):
        wire.parse_header(header)


def test_an_empty_body_is_a_frame_error() -> None:
    with pytest.raises(FrameError, match="empty body"):
        wire.parse_body(b"")
