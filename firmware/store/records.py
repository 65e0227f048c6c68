"""Rows of the store as typed records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BrewState(StrEnum):
    PAID = "paid"          # paid (receipt or credit) and durable; not yet sent to the board
    STARTED = "started"    # BREW sent to the board; outcome not yet known
    DONE = "done"          # the board reported the coffee dispensed
    CREDITED = "credited"  # not dispensed: its value is owed back as a credit


class TxState(StrEnum):
    SIGNED = "signed"          # raw bytes durable, maybe never sent
    BROADCAST = "broadcast"    # sent at least once
    MINED = "mined"            # in a block, not yet deep enough
    CONFIRMED = "confirmed"    # at confirmation depth: final for the firmware
    FAILED = "failed"          # mined and reverted (at depth)
    VOID = "void"              # a nonce filler whose nonce the forgotten transaction took back


@dataclass(frozen=True)
class StoredReceipt:
    sequence: int
    cumulative: int
    price: int
    signature: bytes
    signer: str
    brew_id: int | None
    origin: str  # "tap" (signed for a purchase) or "recovered" (GET LAST RECEIPT)


@dataclass(frozen=True)
class Brew:
    brew_id: int
    product: int
    price: int
    paid_by_receipt: int  # value charged by a receipt
    paid_by_credit: int   # value taken from credits
    sequence: int | None
    state: BrewState


@dataclass(frozen=True)
class OutboxTx:
    id: int
    kind: str        # redeem | check_in | report_fault | attest_fix | cooperative_close
    nonce: int
    tx_hash: str
    raw: bytes
    state: TxState
    block: int | None
    meta: dict
