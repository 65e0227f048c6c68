"""Commands the board understands (protocol v1, board side)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulators.brewboard.errors import CommandError
from emulators.brewboard.frame import decode_line

_NUMBER = re.compile(rb"(?:0|[1-9][0-9]*)\Z")
_LIMITS = {"tag": 2**32 - 1, "brew id": 2**64 - 1, "product id": 2**16 - 1}


@dataclass(frozen=True)
class Ping:
    """``PING <tag>``."""

    tag: int


@dataclass(frozen=True)
class Status:
    """``STATUS <tag>``."""

    tag: int


@dataclass(frozen=True)
class Brew:
    """``BREW <tag> <brew_id> <product_id>``."""

    tag: int
    brew_id: int
    product_id: int


@dataclass(frozen=True)
class Query:
    """``QUERY <tag> <brew_id>``."""

    tag: int
    brew_id: int


Command = Ping | Status | Brew | Query

_SHAPES: dict[str, tuple[type[Command], tuple[str, ...]]] = {
    "PING": (Ping, ("tag",)),
    "STATUS": (Status, ("tag",)),
    "BREW": (Brew, ("tag", "brew id", "product id")),
    "QUERY": (Query, ("tag", "brew id")),
}


def _number(token: str, field: str, line: bytes, tag: int | None) -> int:
    raw = token.encode("ascii")
    if not _NUMBER.match(raw) or len(raw) > 20:
        raise CommandError("ARGS", f"{field} {token!r} is not a canonical decimal", line, tag)
    value = int(raw)
    low = 1 if field == "brew id" else 0
    if not low <= value <= _LIMITS[field]:
        raise CommandError("RANGE", f"{field} {value} outside {low}..{_LIMITS[field]}", line,
                           tag)
    return value


def parse_command(line: bytes) -> Command:
    """Decode one line from the firmware; raise ``CommandError`` carrying the ERR code."""
    fields = decode_line(line).split(" ")
    if "" in fields:
        raise CommandError("FRAMING", "fields must be separated by single spaces", line)
    verb, args = fields[0], fields[1:]
    tag = None
    if args:
        try:
            tag = _number(args[0], "tag", line, None)
        except CommandError:
            tag = None
    if verb not in _SHAPES:
        raise CommandError("VERB", f"unknown command {verb!r}", line, tag)
    cls, names = _SHAPES[verb]
    if len(args) != len(names):
        raise CommandError("ARGS", f"{verb} takes {len(names)} field(s), got {len(args)}",
                           line, tag)
    values = [_number(a, n, line, tag) for a, n in zip(args, names, strict=True)]
    return cls(*values)
