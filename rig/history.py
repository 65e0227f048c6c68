"""The record of one scenario run: everything the oracle and the report read.

Ground truth only: what the phones signed, what the brew board dispensed, what the chain
shows, what the rig injected and when (the timeline) and where the firmware said it was
(checkpoints). The firmware's own bookkeeping contributes just the credits it owes after the
final sync, which the invariants check against everything else. Serialisable to JSON so a
report or a replay can be checked again without re-running.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Signed:
    """A receipt a phone signed (phone log)."""

    phone: str           # the wallet's address
    sequence: int
    cumulative: int
    price: int
    product: int
    signature: str       # 0x hex
    signed_at: float     # host wall clock


@dataclass(frozen=True)
class Dispensed:
    """A coffee the brew board physically dispensed (board log)."""

    brew_id: int
    product: int
    started_at: float
    ended_at: float


@dataclass(frozen=True)
class Mark:
    """A checkpoint the firmware reported (rig control socket)."""

    seq: int
    at: float
    boot: int
    name: str
    data: dict


@dataclass(frozen=True)
class TimelineEntry:
    """A fault fired or healed, or a scenario step, as the rig did it."""

    at: float
    kind: str            # fault kind (e.g. "power.cut"), or the step's name for a step
    action: str          # fire | heal | step (a fault may add its own, e.g. cut | miss)
    params: dict
    checkpoint: str | None   # the firmware's last reported checkpoint at that moment
    note: str = ""


@dataclass(frozen=True)
class ChainEvent:
    """A platform event, decoded (name + args), with where it happened."""

    name: str
    args: dict
    block: int
    tx: str
    timestamp: int


@dataclass(frozen=True)
class Block:
    """A block of the final chain: when chain time said it was mined (unix seconds)."""

    number: int
    timestamp: int


@dataclass(frozen=True)
class MachineTx:
    """A transaction the machine's key sent that made it into the final chain."""

    hash: str
    nonce: int
    kind: str            # redeem | check_in | report_fault | attest_fix | other
    status: int
    block: int
    args: dict           # decoded call arguments (e.g. redeem's cumulative and sequence)
    gas_used: int | None = None   # from the receipt; None in histories recorded without it


@dataclass(frozen=True)
class SentToNode:
    """An ``eth_sendRawTransaction`` the RPC proxy delivered to the node (INV-10)."""

    at: float                 # host wall clock
    tx_hash: str
    tx_chain_id: int | None   # the chain id the transaction was signed for
    link: int = 0             # the proxy's connection id


@dataclass(frozen=True)
class NodeChainId:
    """The node's answer to ``eth_chainId``, as the RPC proxy delivered it to the machine."""

    at: float
    chain_id: int | None      # None: an error or an unreadable answer
    link: int = 0


@dataclass
class History:
    scenario: str
    seed: int
    chain_id: int
    payment_provider: str
    channel_id: str
    prices: dict[int, int]
    settings: dict[str, Any]              # sync_interval, challenge_period, confirmations, ...
    signed: list[Signed] = field(default_factory=list)
    dispensed: list[Dispensed] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    events: list[ChainEvent] = field(default_factory=list)
    machine_txs: list[MachineTx] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)    # the blocks scanned, in chain order
    token_supply_before: int = 0
    token_supply_after: int = 0
    contract_balance: int = 0             # credit tokens held by the PaymentProvider
    withdrawable: int = 0                 # payouts deferred to withdraw() in this channel
    final_status: dict[str, Any] = field(default_factory=dict)
    channel: dict[str, Any] = field(default_factory=dict)   # final on-chain channel struct
    sent_to_node: list[SentToNode] = field(default_factory=list)      # through the RPC proxy
    node_chain_ids: list[NodeChainId] = field(default_factory=list)   # through the RPC proxy
    unknown: dict[str, str] = field(default_factory=dict)
    """Ground truth the rig could not read ("signed", "dispensed") and why: a real board
    that keeps no readable log, a real phone that exports no receipts. The invariants that
    read it are undecided (info, with the reason), never decided from a guess."""

    def to_json(self) -> dict:
        return asdict(self)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, default=str))

    @classmethod
    def from_json(cls, doc: dict) -> History:
        doc = dict(doc)
        doc["prices"] = {int(k): v for k, v in doc["prices"].items()}
        for name, kind in (("signed", Signed), ("dispensed", Dispensed), ("marks", Mark),
                           ("timeline", TimelineEntry), ("events", ChainEvent),
                           ("machine_txs", MachineTx), ("blocks", Block),
                           ("sent_to_node", SentToNode), ("node_chain_ids", NodeChainId)):
            doc[name] = [kind(**x) for x in doc.get(name, [])]
        return cls(**doc)

    @classmethod
    def load(cls, path: Path) -> History:
        return cls.from_json(json.loads(path.read_text()))

    def events_named(self, name: str) -> list[ChainEvent]:
        return [e for e in self.events if e.name == name]
