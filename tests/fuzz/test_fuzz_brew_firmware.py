"""Fuzz the firmware's brew-board line protocol (firmware/brew/frame.py, messages.py, lineio.py).

Whatever arrives on the serial line, ``unframe``/``parse_reply`` return a payload or a reply,
or raise ``BrewCodecError`` with one of its documented kinds. Replies the board's encoder
produces decode to the same fields; the line reader splits any byte stream into exactly the
lines a reference model expects, however the bytes are chunked.
"""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from emulators.brewboard import replies
from firmware.brew import messages
from firmware.brew.errors import BrewCodecError
from firmware.brew.frame import MAX_LINE, crc8, frame, unframe
from firmware.brew.lineio import LineReader
from tests.fuzz.mutations import NASTY_TEXT, huge_ints, mutated, mutated_text
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz

KINDS = {"checksum", "framing", "verb", "args", "range"}
U16, U32, U64 = 2**16 - 1, 2**32 - 1, 2**64 - 1
NAK_REASONS = list(replies.NakReason)
FAIL_REASONS = list(replies.FailReason)
ERR_CODES = list(replies.ErrCode)

tags = st.integers(0, U32)
brew_ids = st.integers(1, U64)
products = st.integers(0, U16)
counters = st.integers(0, U64)
versions = st.from_regex(r"[0-9A-Za-z._-]{1,16}", fullmatch=True)

reply_lines = st.one_of(
    st.builds(replies.ack, tags, brew_ids),
    st.builds(replies.nak, tags, brew_ids, st.sampled_from(NAK_REASONS)),
    st.builds(replies.done, brew_ids, products, counters),
    st.builds(replies.fail, brew_ids, products, st.sampled_from(FAIL_REASONS)),
    st.builds(replies.result, tags, brew_ids, st.just("DONE"), products, counters),
    st.builds(replies.result, tags, brew_ids, st.just("FAIL"), products,
              st.sampled_from(FAIL_REASONS)),
    st.builds(replies.result, tags, brew_ids, st.just("RUNNING"), products),
    st.builds(replies.result, tags, brew_ids, st.sampled_from(["UNKNOWN", "EXPIRED"])),
    st.builds(replies.pong, tags),
    st.builds(lambda tag, busy, fw, resets, dispensed, hw, cur: replies.stat(
        tag, busy=busy, firmware=fw, resets=resets, dispensed=dispensed, high_water=hw,
        current=cur), tags, st.booleans(), versions, st.integers(0, U32), counters, counters,
        counters),
    st.builds(replies.err, st.none() | tags, st.sampled_from(ERR_CODES)),
)


def reframe(payload: bytes) -> bytes:
    """A correct checksum around any payload, so mutations reach the field parsers."""
    return payload + b"*%02X\n" % crc8(payload)


@st.composite
def payload_mutants(draw: st.DrawFn) -> bytes:
    """A reply's payload damaged field-wise (huge numbers, Unicode digits, fields added or
    missing), then re-framed with a checksum that matches."""
    payload = draw(reply_lines).rsplit(b"*", 1)[0].decode("ascii")
    fields = payload.split(" ")
    op = draw(st.sampled_from(("replace", "duplicate", "drop", "truncate", "text")))
    i = draw(st.integers(0, len(fields) - 1))
    if op == "replace":
        fields[i] = draw(st.one_of(st.sampled_from(NASTY_TEXT), huge_ints().map(str),
                                   st.text(max_size=6)))
    elif op == "duplicate":
        fields.insert(i, fields[i])
    elif op == "drop" and len(fields) > 1:
        del fields[i]
    elif op == "truncate":
        fields = fields[:i + 1]
    else:
        return reframe(draw(mutated_text(st.just(payload))).encode("utf-8"))
    return reframe(" ".join(fields).encode("utf-8"))


lines = st.one_of(mutated(reply_lines), payload_mutants(), st.binary(max_size=140))


@fuzz()
@given(lines)
def test_unframe_returns_a_payload_or_a_codec_error(line: bytes) -> None:
    out = run_parser(unframe, BrewCodecError, line)
    if out.accepted:
        body = line.removesuffix(b"\n").removesuffix(b"\r")
        assert frame(out.value) == body + b"\n"
    else:
        assert out.error.kind in KINDS


@fuzz(weight=2)
@given(lines)
def test_parse_reply_returns_a_reply_or_a_codec_error(line: bytes) -> None:
    out = run_parser(messages.parse_reply, BrewCodecError, line)
    if out.accepted:
        assert isinstance(out.value, messages.Reply)
    else:
        assert out.error.kind in KINDS
        assert out.error.line == line


@fuzz()
@given(reply_lines)
def test_every_reply_the_board_encodes_decodes_to_its_fields(line: bytes) -> None:
    fields = line.rsplit(b"*", 1)[0].decode("ascii").split(" ")
    assert _render(messages.parse_reply(line)) == fields


def _render(reply: messages.Reply) -> list[str]:
    """The fields the firmware understood, in wire order, to compare with what was sent."""
    def s(v: object) -> str:
        return "-" if v is None else str(v)

    match reply:
        case messages.Ack(tag, brew_id):
            return ["ACK", s(tag), s(brew_id)]
        case messages.Nak(tag, brew_id, reason):
            return ["NAK", s(tag), s(brew_id), reason]
        case messages.Done(brew_id, product_id, no):
            return ["DONE", s(brew_id), s(product_id), s(no)]
        case messages.Fail(brew_id, product_id, reason):
            return ["FAIL", s(brew_id), s(product_id), reason]
        case messages.Result(tag, brew_id, state, product_id, reason, no):
            extra = [s(x) for x in (product_id, no if state == "DONE" else reason)
                     if x is not None]
            return ["RESULT", s(tag), s(brew_id), state, *extra]
        case messages.Pong(tag):
            return ["PONG", s(tag)]
        case messages.BoardStatus():
            r = reply
            return ["STAT", s(r.tag), "READY" if r.ready else "BUSY", s(r.protocol),
                    r.firmware, s(r.resets), s(r.dispensed), s(r.high_water), s(r.current)]
        case messages.Err(tag, code):
            return ["ERR", s(tag), code]
    raise AssertionError(f"unexpected reply {reply!r}")


@fuzz()
@given(st.text(max_size=140))
def test_frame_round_trips_or_refuses_with_a_codec_error(payload: str) -> None:
    out = run_parser(frame, BrewCodecError, payload)
    if out.accepted:
        assert len(out.value) <= MAX_LINE + 1
        assert unframe(out.value) == payload
    else:
        assert out.error.kind == "framing"


@fuzz()
@given(tag=huge_ints(70), brew_id=huge_ints(70), product=huge_ints(20))
def test_encoders_frame_in_range_values_and_refuse_the_rest(tag: int, brew_id: int,
                                                           product: int) -> None:
    in_range = 0 <= tag <= U32 and 1 <= brew_id <= U64 and 0 <= product <= U16
    for encode, args in ((messages.encode_brew, (tag, brew_id, product)),
                         (messages.encode_query, (tag, brew_id)),
                         (messages.encode_ping, (tag,)), (messages.encode_status, (tag,))):
        out = run_parser(encode, BrewCodecError, *args)
        if out.accepted:
            fields = unframe(out.value).split(" ")
            assert fields[1:] == [str(a) for a in args]
        else:
            assert out.error.kind == "range" and not in_range


class ChunkedPort:
    """A serial port that delivers a byte stream in given chunk sizes, then runs dry."""

    def __init__(self, data: bytes, sizes: list[int]):
        self._data, self._sizes, self._pos = data, sizes, 0

    @property
    def in_waiting(self) -> int:
        return 0

    def read(self, size: int = 1) -> bytes:
        if self._pos >= len(self._data):
            raise StreamEnd
        step = self._sizes[self._pos % len(self._sizes)] if self._sizes else size
        chunk = self._data[self._pos:self._pos + max(1, step)]
        self._pos += len(chunk)
        return chunk


class StreamEnd(Exception):
    """The fake port has no more bytes (ends the otherwise endless read loop)."""


streams = st.lists(st.one_of(mutated(reply_lines), st.binary(max_size=300),
                             st.sampled_from([b"\n", b"\r\n", b"x" * 129 + b"\n", b"y" * 400])),
                   max_size=8).map(b"".join)


@fuzz()
@given(streams, st.lists(st.integers(1, 200), max_size=5), st.integers(3, MAX_LINE))
def test_line_reader_splits_any_chunking_like_the_reference(stream: bytes, sizes: list[int],
                                                           max_line: int) -> None:
    reader = LineReader(ChunkedPort(stream, sizes), max_line)
    got = []
    try:
        while True:
            line = reader.read_line(math.inf)
            assert line is not None
            got.append(line)
    except StreamEnd:
        pass
    *complete, tail = stream.split(b"\n")
    limit = max_line + 1
    assert got == [line for line in complete if len(line) <= limit]
    assert reader.overlong == sum(len(line) > limit for line in complete) + (len(tail) > limit)
