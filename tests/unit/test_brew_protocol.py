"""Brew-board protocol v1: the firmware's and the board's codecs, each alone and together."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.brewboard import replies
from emulators.brewboard.commands import Brew, Ping, Query, Status, parse_command
from emulators.brewboard.errors import CommandError
from emulators.brewboard.frame import crc8 as board_crc8
from emulators.brewboard.frame import decode_line, encode_line
from firmware.brew.errors import BrewCodecError
from firmware.brew.frame import crc8 as fw_crc8
from firmware.brew.frame import frame, unframe
from firmware.brew.messages import (
    Ack,
    BoardStatus,
    Done,
    Err,
    Fail,
    Nak,
    Pong,
    Result,
    encode_brew,
    encode_ping,
    encode_query,
    encode_status,
    parse_reply,
)

U16, U32, U64 = 2**16 - 1, 2**32 - 1, 2**64 - 1
ROOT = Path(__file__).resolve().parents[2]


def framed(payload: bytes) -> bytes:
    """A line with a correct checksum around any payload, to reach the field parsers."""
    return payload + b"*%02X\n" % fw_crc8(payload)


# -- checksum and framing ------------------------------------------------------------------

def test_both_crc8_implementations_give_the_smbus_check_value():
    assert fw_crc8(b"123456789") == 0xF4
    assert board_crc8(b"123456789") == 0xF4


@given(st.binary(max_size=200))
def test_both_crc8_implementations_agree(data):
    assert fw_crc8(data) == board_crc8(data)


def test_frame_layout_is_payload_star_two_hex_digits_newline():
    assert frame("PING 1") == b"PING 1*AD\n"
    assert encode_line("PING 1") == b"PING 1*AD\n"
    assert unframe(b"PING 1*AD\r\n") == "PING 1"
    assert decode_line(b"PING 1*AD\r\n") == "PING 1"


@pytest.mark.parametrize("payload", ["", "A*B", "caf\u00e9", "TAB\there", "X" * 126])
def test_framing_refuses_payloads_that_cannot_go_on_the_wire(payload):
    with pytest.raises(BrewCodecError) as fw:
        frame(payload)
    assert fw.value.kind == "framing"
    with pytest.raises(ValueError, match="payload"):
        encode_line(payload)


@given(st.sampled_from([encode_brew(7, 12345, 3), encode_query(9, U64), encode_ping(0),
                        replies.done(5, 2, 77), replies.stat(
                            1, busy=True, firmware="emu-1.0", resets=3, dispensed=9,
                            high_water=8, current=8)]),
       st.data())
def test_any_single_corrupted_byte_is_detected_by_both_sides(line, data):
    body = line[:-1]
    pos = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    damaged = bytearray(body)
    damaged[pos] ^= flip
    damaged = bytes(damaged) + b"\n"
    with pytest.raises(BrewCodecError):
        unframe(damaged)
    with pytest.raises(CommandError):
        decode_line(damaged)


# -- firmware commands understood by the board --------------------------------------------

@pytest.mark.parametrize(("line", "expected"), [
    (encode_ping(0), Ping(0)),
    (encode_status(U32), Status(U32)),
    (encode_brew(7, 1, 0), Brew(7, 1, 0)),
    (encode_brew(8, U64, U16), Brew(8, U64, U16)),
    (encode_query(9, 42), Query(9, 42)),
])
def test_firmware_commands_parse_on_the_board(line, expected):
    assert parse_command(line) == expected


@given(st.integers(0, U32), st.integers(1, U64), st.integers(0, U16))
def test_brew_and_query_round_trip_for_every_valid_value(tag, brew_id, product_id):
    assert parse_command(encode_brew(tag, brew_id, product_id)) == Brew(tag, brew_id, product_id)
    assert parse_command(encode_query(tag, brew_id)) == Query(tag, brew_id)


@pytest.mark.parametrize(("call", "args"), [
    (encode_brew, (1, 0, 1)),            # brew id 0 is reserved
    (encode_brew, (1, U64 + 1, 1)),
    (encode_brew, (1, 5, U16 + 1)),
    (encode_brew, (1, 5, -1)),
    (encode_brew, (1, True, 1)),         # a bool is not an id
    (encode_query, (U32 + 1, 5)),
    (encode_ping, (-1,)),
    (encode_status, ("1",)),
])
def test_firmware_refuses_to_encode_out_of_range_values(call, args):
    with pytest.raises(BrewCodecError) as exc:
        call(*args)
    assert exc.value.kind == "range"


# -- board replies understood by the firmware ---------------------------------------------

@pytest.mark.parametrize(("line", "expected"), [
    (replies.ack(3, U64), Ack(3, U64)),
    (replies.nak(3, 9, replies.NakReason.BUSY), Nak(3, 9, "BUSY")),
    (replies.done(9, U16, 12), Done(9, U16, 12)),
    (replies.fail(9, 1, replies.FailReason.NO_WATER), Fail(9, 1, "NO_WATER")),
    (replies.result(4, 9, "DONE", 1, 12), Result(4, 9, "DONE", 1, dispense_no=12)),
    (replies.result(4, 9, "FAIL", 1, "DOOR_OPEN"), Result(4, 9, "FAIL", 1, reason="DOOR_OPEN")),
    (replies.result(4, 9, "RUNNING", 2), Result(4, 9, "RUNNING", 2)),
    (replies.result(4, 9, "UNKNOWN"), Result(4, 9, "UNKNOWN")),
    (replies.result(4, 9, "EXPIRED"), Result(4, 9, "EXPIRED")),
    (replies.pong(U32), Pong(U32)),
    (replies.stat(5, busy=True, firmware="emu-1.0", resets=2, dispensed=7, high_water=9,
                  current=9),
     BoardStatus(5, False, 1, "emu-1.0", 2, 7, 9, 9)),
    (replies.err(None, replies.ErrCode.CHECKSUM), Err(None, "CHECKSUM")),
    (replies.err(6, replies.ErrCode.VERB), Err(6, "VERB")),
])
def test_board_replies_parse_in_the_firmware(line, expected):
    assert parse_reply(line) == expected


@given(st.integers(0, U32), st.integers(1, U64), st.integers(0, U16), st.integers(0, U64))
def test_done_and_result_round_trip_for_every_valid_value(tag, brew_id, product_id, number):
    assert parse_reply(replies.done(brew_id, product_id, number)) == Done(
        brew_id, product_id, number)
    assert parse_reply(replies.result(tag, brew_id, "DONE", product_id, number)) == Result(
        tag, brew_id, "DONE", product_id, dispense_no=number)


# -- malformed lines: each gets the right, clear error ------------------------------------

FIRMWARE_MALFORMED = [
    (b"\n", "framing"),
    (b"ACK 1 2\n", "framing"),                          # no checksum at all
    (b"ACK 1 2*0\n", "framing"),                        # one hex digit
    (framed(b"ACK 1 2")[:-3] + b"zz\n", "checksum"),
    (framed(b"ACK 1 2").lower(), "checksum"),           # hex digits must be upper case
    (b"ACK 1 2*00\n", "checksum"),
    (framed(b"ACK 1 \xff"), "framing"),
    (framed(b"ACK 1\t2"), "framing"),
    (framed(b"ACK  1 2"), "framing"),
    (framed(b"ACK 1 2 "), "framing"),
    (framed(b"ACK 1 02"), "args"),
    (framed(b"ACK 1 +2"), "args"),
    (framed(b"ACK 1 0"), "range"),
    (framed(b"ACK 4294967296 2"), "range"),
    (framed(b"ACK 1 18446744073709551616"), "range"),
    (framed(b"DONE 1 65536 1"), "range"),
    (framed(b"ACK 1"), "args"),
    (framed(b"ACK 1 2 3"), "args"),
    (framed(b"NAK 1 2 busy"), "args"),
    (framed(b"RESULT 1 2 MAYBE"), "args"),
    (framed(b"RESULT 1 2 DONE 1"), "args"),
    (framed(b"RESULT 1 2"), "args"),
    (framed(b"STAT 1 IDLE 1 v 0 0 0 0"), "args"),
    (framed(b"STAT 1 READY 1 v@1 0 0 0 0"), "args"),
    (framed(b"ERR x CHECKSUM"), "args"),
    (framed(b"HELLO 1"), "verb"),
    (framed(b"ack 1 2"), "verb"),
    (framed(b"A" * 126), "framing"),                     # longer than 128 bytes
]


@pytest.mark.parametrize(("line", "kind"), FIRMWARE_MALFORMED)
def test_firmware_parser_names_what_is_wrong(line, kind):
    with pytest.raises(BrewCodecError) as exc:
        parse_reply(line)
    assert exc.value.kind == kind
    assert exc.value.line == line
    assert repr(line) in str(exc.value)


BOARD_MALFORMED = [
    (b"", "FRAMING", None),
    (b"BREW 1 2 3", "FRAMING", None),
    (b"*00", "FRAMING", None),
    (b"BREW 1 2 3*ab", "CHECKSUM", None),
    (b"BREW 1 2 3*00", "CHECKSUM", None),
    (framed(b"BREW 1 2 \x80")[:-1], "FRAMING", None),
    (framed(b"BREW 1  2 3")[:-1], "FRAMING", None),
    (framed(b"BREW 1 2")[:-1], "ARGS", 1),
    (framed(b"BREW 1 2 3 4")[:-1], "ARGS", 1),
    (framed(b"BREW 1 02 3")[:-1], "ARGS", 1),
    (framed(b"BREW 1 -2 3")[:-1], "ARGS", 1),
    (framed(b"BREW 1 0 3")[:-1], "RANGE", 1),
    (framed(b"BREW 1 2 65536")[:-1], "RANGE", 1),
    (framed(b"QUERY 1 18446744073709551616")[:-1], "RANGE", 1),
    (framed(b"PING 4294967296")[:-1], "RANGE", None),
    (framed(b"PING x")[:-1], "ARGS", None),
    (framed(b"BREW")[:-1], "ARGS", None),
    (framed(b"MAKE 5 1")[:-1], "VERB", 5),
    (framed(b"ping 5")[:-1], "VERB", 5),
    (framed(b"Q" * 130)[:-1], "TOOLONG", None),
]


@pytest.mark.parametrize(("line", "code", "tag"), BOARD_MALFORMED)
def test_board_parser_gives_the_err_code_and_tag_to_answer_with(line, code, tag):
    with pytest.raises(CommandError) as exc:
        parse_command(line)
    assert exc.value.code == code
    assert exc.value.tag == tag
    assert code in str(exc.value)
    replies.err(exc.value.tag, exc.value.code)  # every code is one the board can send


# -- robustness: arbitrary input only ever raises the codec's own error -------------------

TOKENS = st.sampled_from(["ACK", "NAK", "DONE", "FAIL", "RESULT", "PONG", "STAT", "ERR",
                          "BREW", "QUERY", "PING", "STATUS", "READY", "BUSY", "RUNNING",
                          "UNKNOWN", "EXPIRED", "-", "0", "1", "65535", "65536", "4294967296",
                          "18446744073709551615", "99999999999999999999999", "NO_WATER"])
JUNK = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E).filter(lambda c: c != "*"),
               max_size=6)
TEMPLATES = [line.split() for line in (
    "ACK 1 2", "NAK 1 2 BUSY", "DONE 2 1 5", "FAIL 2 1 NO_WATER", "RESULT 1 2 DONE 1 5",
    "RESULT 1 2 FAIL 1 NO_WATER", "RESULT 1 2 RUNNING 1", "RESULT 1 2 UNKNOWN",
    "RESULT 1 2 EXPIRED", "PONG 1", "STAT 1 READY 1 emu-1.0 1 2 3 0", "ERR - CHECKSUM",
    "ERR 1 VERB", "PING 1", "STATUS 1", "BREW 1 2 3", "QUERY 1 2")]


@st.composite
def near_valid_fields(draw) -> list[str]:
    """A valid line's fields with a few fields dropped, added or replaced, so the search
    reaches every branch of the field parsers instead of stopping at the checksum."""
    fields = list(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(1, 2))):
        op = draw(st.sampled_from(["truncate", "drop", "insert", "replace"]))
        token = draw(TOKENS | JUNK.filter(bool))
        if op == "truncate":
            fields = fields[:draw(st.integers(1, len(fields)))]
        elif op == "drop" and len(fields) > 1:
            del fields[draw(st.integers(0, len(fields) - 1))]
        elif op == "insert":
            fields.insert(draw(st.integers(0, len(fields))), token)
        else:
            fields[draw(st.integers(0, len(fields) - 1))] = token
    return fields


REPLY_TYPES = (Ack, Nak, Done, Fail, Result, Pong, BoardStatus, Err)
COMMAND_TYPES = (Ping, Status, Brew, Query)


def _reply_or_codec_error(line: bytes) -> object:
    try:
        reply = parse_reply(line)
    except BrewCodecError as exc:
        return exc
    assert isinstance(reply, REPLY_TYPES)
    return reply


def _command_or_codec_error(line: bytes) -> object:
    try:
        command = parse_command(line)
    except CommandError as exc:
        return exc
    assert isinstance(command, COMMAND_TYPES)
    return command


@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_firmware_parser(data):
    _reply_or_codec_error(data)


@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_board_parser(data):
    _command_or_codec_error(data)


@settings(max_examples=600)
@given(near_valid_fields())
def test_checksummed_near_misses_never_crash_either_parser(fields):
    line = framed(" ".join(fields).encode("ascii"))
    _reply_or_codec_error(line)
    _command_or_codec_error(line[:-1])


# -- independence of the two sides (hard rule of the layout) ------------------------------

def _imported_modules(package: Path) -> set[str]:
    found = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("firmware/brew", ("emulators", "rig", "tests")),
    ("emulators/brewboard", ("firmware",)),
])
def test_each_side_keeps_its_own_codec(package, forbidden):
    imported = _imported_modules(ROOT / package)
    bad = sorted(m for m in imported if m.split(".")[0] in forbidden)
    assert not bad, f"{package} imports {bad}"
