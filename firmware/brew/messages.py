"""Commands the firmware sends and replies it understands (protocol v1, firmware side).

Parsing is strict (canonical decimals, exact field counts, fixed verbs) so that a line
damaged in a way the checksum happened to miss is still far more likely to be refused
than misread. Unknown FAIL/NAK reasons are accepted as tokens: a newer board may add
reasons, and any reason means "not dispensed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from firmware.brew.errors import BrewCodecError
from firmware.brew.frame import frame, unframe

PROTOCOL_VERSION = 1
U16, U32, U64 = (1 << 16) - 1, (1 << 32) - 1, (1 << 64) - 1

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_TOKEN = re.compile(r"[A-Z][A-Z0-9_]{0,23}")
_VERSION = re.compile(r"[0-9A-Za-z._-]{1,16}")
RESULT_STATES = ("DONE", "FAIL", "RUNNING", "UNKNOWN", "EXPIRED")


@dataclass(frozen=True)
class Ack:
    """The board accepted (or had already accepted) ``brew_id``."""

    tag: int
    brew_id: int


@dataclass(frozen=True)
class Nak:
    """The board refused to start ``brew_id``; nothing was dispensed and nothing logged."""

    tag: int
    brew_id: int
    reason: str


@dataclass(frozen=True)
class Done:
    """Event: ``brew_id`` was dispensed; ``dispense_no`` is the board's lifetime counter."""

    brew_id: int
    product_id: int
    dispense_no: int


@dataclass(frozen=True)
class Fail:
    """Event: ``brew_id`` ended without a coffee."""

    brew_id: int
    product_id: int
    reason: str


@dataclass(frozen=True)
class Result:
    """Answer to QUERY from the board's non-volatile log."""

    tag: int
    brew_id: int
    state: str
    product_id: int | None = None
    reason: str | None = None
    dispense_no: int | None = None


@dataclass(frozen=True)
class Pong:
    """Answer to PING."""

    tag: int


@dataclass(frozen=True)
class BoardStatus:
    """Answer to STATUS: what the firmware needs to resume safely after a reboot.

    ``high_water`` is the largest brew id the board ever accepted; the firmware's next brew
    id must exceed it. ``current`` is the running brew id, 0 when idle.
    """

    tag: int
    ready: bool
    protocol: int
    firmware: str
    resets: int
    dispensed: int
    high_water: int
    current: int


@dataclass(frozen=True)
class Err:
    """The board could not process a command; ``tag`` is None when it could not read it."""

    tag: int | None
    code: str


Reply = Ack | Nak | Done | Fail | Result | Pong | BoardStatus | Err


def _num(token: str, limit: int, field: str, line: bytes, low: int = 0) -> int:
    if not _DECIMAL.fullmatch(token):
        raise BrewCodecError("args", f"{field} {token!r} is not a canonical decimal", line)
    value = int(token)
    if not low <= value <= limit:
        raise BrewCodecError("range", f"{field} {value} is outside {low}..{limit}", line)
    return value


def _token(token: str, field: str, line: bytes) -> str:
    if not _TOKEN.fullmatch(token):
        raise BrewCodecError("args", f"{field} {token!r} is not an upper-case token", line)
    return token


def _arity(fields: list[str], expected: int, line: bytes) -> None:
    if len(fields) != expected:
        raise BrewCodecError("args", f"{fields[0]} takes {expected - 1} field(s), got "
                                     f"{len(fields) - 1}", line)


def _parse_result(f: list[str], line: bytes) -> Result:
    if len(f) < 4:
        raise BrewCodecError("args", f"RESULT takes at least 3 fields, got {len(f) - 1}", line)
    tag, brew_id, state = _num(f[1], U32, "tag", line), _num(f[2], U64, "brew id", line, 1), f[3]
    if state == "DONE":
        _arity(f, 6, line)
        return Result(tag, brew_id, state, _num(f[4], U16, "product id", line),
                      dispense_no=_num(f[5], U64, "dispense number", line))
    if state == "FAIL":
        _arity(f, 6, line)
        return Result(tag, brew_id, state, _num(f[4], U16, "product id", line),
                      reason=_token(f[5], "reason", line))
    if state == "RUNNING":
        _arity(f, 5, line)
        return Result(tag, brew_id, state, _num(f[4], U16, "product id", line))
    if state in ("UNKNOWN", "EXPIRED"):
        _arity(f, 4, line)
        return Result(tag, brew_id, state)
    raise BrewCodecError("args", f"RESULT state {state!r} is not one of {RESULT_STATES}", line)


def _parse_stat(f: list[str], line: bytes) -> BoardStatus:
    _arity(f, 9, line)
    if f[2] not in ("READY", "BUSY"):
        raise BrewCodecError("args", f"STAT state {f[2]!r} is not READY or BUSY", line)
    if not _VERSION.fullmatch(f[4]):
        raise BrewCodecError("args", f"firmware version {f[4]!r} is malformed", line)
    return BoardStatus(
        tag=_num(f[1], U32, "tag", line), ready=f[2] == "READY",
        protocol=_num(f[3], U16, "protocol", line), firmware=f[4],
        resets=_num(f[5], U32, "reset counter", line),
        dispensed=_num(f[6], U64, "dispense counter", line),
        high_water=_num(f[7], U64, "high-water brew id", line),
        current=_num(f[8], U64, "current brew id", line))


def parse_reply(line: bytes) -> Reply:
    """Decode one line from the board; raise ``BrewCodecError`` for anything malformed."""
    payload = unframe(line)
    f = payload.split(" ")
    if any(not part for part in f):
        raise BrewCodecError("framing", "fields must be separated by single spaces", line)
    verb = f[0]
    if verb == "ACK":
        _arity(f, 3, line)
        return Ack(_num(f[1], U32, "tag", line), _num(f[2], U64, "brew id", line, 1))
    if verb == "NAK":
        _arity(f, 4, line)
        return Nak(_num(f[1], U32, "tag", line), _num(f[2], U64, "brew id", line, 1),
                   _token(f[3], "reason", line))
    if verb == "DONE":
        _arity(f, 4, line)
        return Done(_num(f[1], U64, "brew id", line, 1), _num(f[2], U16, "product id", line),
                    _num(f[3], U64, "dispense number", line))
    if verb == "FAIL":
        _arity(f, 4, line)
        return Fail(_num(f[1], U64, "brew id", line, 1), _num(f[2], U16, "product id", line),
                    _token(f[3], "reason", line))
    if verb == "RESULT":
        return _parse_result(f, line)
    if verb == "PONG":
        _arity(f, 2, line)
        return Pong(_num(f[1], U32, "tag", line))
    if verb == "STAT":
        return _parse_stat(f, line)
    if verb == "ERR":
        _arity(f, 3, line)
        tag = None if f[1] == "-" else _num(f[1], U32, "tag", line)
        return Err(tag, _token(f[2], "error code", line))
    raise BrewCodecError("verb", f"unknown reply verb {verb!r}", line)


def _check(value: int, limit: int, field: str, low: int = 0) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= limit:
        raise BrewCodecError("range", f"{field} must be an int in {low}..{limit}, got {value!r}")
    return str(value)


def encode_ping(tag: int) -> bytes:
    """``PING <tag>``: liveness."""
    return frame(f"PING {_check(tag, U32, 'tag')}")


def encode_status(tag: int) -> bytes:
    """``STATUS <tag>``: readiness, versions and counters."""
    return frame(f"STATUS {_check(tag, U32, 'tag')}")


def encode_brew(tag: int, brew_id: int, product_id: int) -> bytes:
    """``BREW <tag> <brew_id> <product_id>``: start (or re-confirm) one brew."""
    return frame(f"BREW {_check(tag, U32, 'tag')} {_check(brew_id, U64, 'brew id', 1)} "
                 f"{_check(product_id, U16, 'product id')}")


def encode_query(tag: int, brew_id: int) -> bytes:
    """``QUERY <tag> <brew_id>``: outcome of a brew id from the board's NV log."""
    return frame(f"QUERY {_check(tag, U32, 'tag')} {_check(brew_id, U64, 'brew id', 1)}")
