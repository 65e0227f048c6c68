"""Fuzz the emulated brew board's line protocol (emulators/brewboard/frame.py, commands.py,
replies.py).

Any line from the firmware decodes to a command or raises ``CommandError`` whose ``code`` is
an ERR code the board can send back (and whose tag, if read, is a valid u32). The firmware's
encoders round-trip through the board's parser, and the two independent framers agree on
which lines are intact.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from emulators.brewboard import replies
from emulators.brewboard.commands import Brew, Ping, Query, Status, parse_command
from emulators.brewboard.errors import CommandError
from emulators.brewboard.frame import MAX_LINE, crc8, decode_line, encode_line
from firmware.brew import messages
from firmware.brew.errors import BrewCodecError
from firmware.brew.frame import unframe
from tests.fuzz.mutations import NASTY_TEXT, huge_ints, mutated, mutated_text
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz

ERR_CODES = {code.value for code in replies.ErrCode}
U16, U32, U64 = 2**16 - 1, 2**32 - 1, 2**64 - 1

tags = st.integers(0, U32)
brew_ids = st.integers(1, U64)
products = st.integers(0, U16)

command_lines = st.one_of(
    st.builds(messages.encode_ping, tags),
    st.builds(messages.encode_status, tags),
    st.builds(messages.encode_brew, tags, brew_ids, products),
    st.builds(messages.encode_query, tags, brew_ids),
)


def reframe(payload: bytes) -> bytes:
    return payload + b"*%02X\n" % crc8(payload)


@st.composite
def payload_mutants(draw: st.DrawFn) -> bytes:
    """A command's payload damaged field-wise, re-framed with a matching checksum."""
    payload = draw(command_lines).rsplit(b"*", 1)[0].decode("ascii")
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


lines = st.one_of(mutated(command_lines), payload_mutants(), st.binary(max_size=140))


@fuzz()
@given(lines)
def test_decode_line_returns_a_payload_or_an_err_code(line: bytes) -> None:
    out = run_parser(decode_line, CommandError, line)
    if out.accepted:
        assert encode_line(out.value) == line.removesuffix(b"\n").removesuffix(b"\r") + b"\n"
    else:
        assert out.error.code in ERR_CODES


@fuzz(weight=2)
@given(lines)
def test_parse_command_returns_a_command_or_an_err_code(line: bytes) -> None:
    out = run_parser(parse_command, CommandError, line)
    if out.accepted:
        assert isinstance(out.value, Ping | Status | Brew | Query)
    else:
        assert out.error.code in ERR_CODES
        assert out.error.tag is None or 0 <= out.error.tag <= U32
        assert out.error.line == line
        # The board answers every refusal; the reply must itself be encodable.
        assert replies.err(out.error.tag, out.error.code).endswith(b"\n")


@fuzz()
@given(lines)
def test_board_and_firmware_framers_agree_on_intact_lines(line: bytes) -> None:
    board = run_parser(decode_line, CommandError, line)
    firmware = run_parser(unframe, BrewCodecError, line)
    assert board.accepted == firmware.accepted
    assert board.value == firmware.value


@fuzz()
@given(tag=tags, brew_id=brew_ids, product=products)
def test_every_command_the_firmware_encodes_parses_to_its_fields(tag: int, brew_id: int,
                                                                 product: int) -> None:
    assert parse_command(messages.encode_ping(tag)) == Ping(tag)
    assert parse_command(messages.encode_status(tag)) == Status(tag)
    assert parse_command(messages.encode_brew(tag, brew_id, product)) == Brew(tag, brew_id,
                                                                             product)
    assert parse_command(messages.encode_query(tag, brew_id)) == Query(tag, brew_id)


@fuzz()
@given(st.one_of(st.text(max_size=140), mutated_text(st.sampled_from(["ACK 1 2", "PONG 7"]))))
def test_encode_line_round_trips_or_refuses_with_value_error(payload: str) -> None:
    out = run_parser(encode_line, ValueError, payload)
    if out.accepted:
        assert len(out.value) <= MAX_LINE + 1
        assert decode_line(out.value) == payload
