"""Replies and events the board sends, encoded for the wire (protocol v1, board side)."""

from __future__ import annotations

from enum import StrEnum

from emulators.brewboard.frame import encode_line

PROTOCOL_VERSION = 1


class FailReason(StrEnum):
    """Why an accepted brew ended without coffee (final, kept in the NV log)."""

    NO_WATER = "NO_WATER"
    NO_BEANS = "NO_BEANS"
    GROUNDS_FULL = "GROUNDS_FULL"
    DOOR_OPEN = "DOOR_OPEN"
    OVERHEAT = "OVERHEAT"
    POWER_LOSS = "POWER_LOSS"


class NakReason(StrEnum):
    """Why a BREW was refused before starting (nothing logged; may be retried)."""

    BUSY = "BUSY"
    STALE = "STALE"
    BAD_PRODUCT = "BAD_PRODUCT"
    CONFLICT = "CONFLICT"


class ErrCode(StrEnum):
    """Why a line could not be processed at all."""

    CHECKSUM = "CHECKSUM"
    FRAMING = "FRAMING"
    TOOLONG = "TOOLONG"
    VERB = "VERB"
    ARGS = "ARGS"
    RANGE = "RANGE"


def ack(tag: int, brew_id: int) -> bytes:
    return encode_line(f"ACK {tag} {brew_id}")


def nak(tag: int, brew_id: int, reason: NakReason) -> bytes:
    return encode_line(f"NAK {tag} {brew_id} {NakReason(reason)}")


def done(brew_id: int, product_id: int, dispense_no: int) -> bytes:
    return encode_line(f"DONE {brew_id} {product_id} {dispense_no}")


def fail(brew_id: int, product_id: int, reason: FailReason) -> bytes:
    return encode_line(f"FAIL {brew_id} {product_id} {FailReason(reason)}")


def result(tag: int, brew_id: int, state: str, *details: object) -> bytes:
    """``RESULT`` with DONE/FAIL/RUNNING/UNKNOWN/EXPIRED and that state's details."""
    return encode_line(" ".join(str(p) for p in ("RESULT", tag, brew_id, state, *details)))


def pong(tag: int) -> bytes:
    return encode_line(f"PONG {tag}")


def stat(tag: int, *, busy: bool, firmware: str, resets: int, dispensed: int,
         high_water: int, current: int) -> bytes:
    state = "BUSY" if busy else "READY"
    return encode_line(f"STAT {tag} {state} {PROTOCOL_VERSION} {firmware} {resets} "
                       f"{dispensed} {high_water} {current}")


def err(tag: int | None, code: str) -> bytes:
    return encode_line(f"ERR {'-' if tag is None else tag} {ErrCode(code)}")
