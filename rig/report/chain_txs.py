"""The chain transactions of a run: hash, block, gas, status, and what each one did.

Two sources in the History: the machine's own transactions (``machine_txs``: nonce, status,
gas used, decoded call) and the channel's events (``events``: every transaction that moved
the channel, whoever sent it). A transaction appears once, with its events listed; one the
machine sent that emitted nothing (a reverted redeem) still appears, from ``machine_txs``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rig.history import History
from rig.report.html_table import table

STATUS = {1: "success", 0: "reverted"}
OMITTED_ARGS = {"signature", "channelId"}   # long; the channel is the report's own


@dataclass
class ChainTx:
    hash: str
    block: int
    sender: str                   # machine | other (the customer, the operator, the rig)
    kind: str                     # the machine's call kind, or "event" for others
    status: str                   # success | reverted | mined (status not recorded)
    gas_used: int | None = None
    nonce: int | None = None
    events: list[str] = field(default_factory=list)
    args: dict[str, Any] = field(default_factory=dict)


def chain_txs(h: History) -> list[ChainTx]:
    by_hash: dict[str, ChainTx] = {}
    for t in h.machine_txs:
        by_hash[t.hash.lower()] = ChainTx(
            t.hash, t.block, "machine", t.kind, STATUS.get(t.status, f"status {t.status}"),
            getattr(t, "gas_used", None), t.nonce,
            args={k: v for k, v in t.args.items() if k not in OMITTED_ARGS})
    for e in h.events:
        tx = by_hash.get(e.tx.lower())
        if tx is None:
            tx = by_hash[e.tx.lower()] = ChainTx(e.tx, e.block, "other", "event", "mined")
        tx.events.append(e.name)
    return sorted(by_hash.values(), key=lambda t: (t.block, t.nonce if t.nonce is not None
                                                   else -1))


def chain_txs_json(txs: list[ChainTx]) -> list[dict]:
    return [asdict(t) for t in txs]


def chain_txs_html(txs: list[ChainTx]) -> str:
    if not txs:
        return "<p>No chain transaction was recorded for this channel.</p>"
    gas_known = any(t.gas_used is not None for t in txs)
    note = "" if gas_known else ("<p>Gas used was not recorded in this history "
                                 "(MachineTx.gas_used is empty).</p>")
    return note + table(
        ["block", "tx hash", "sender", "call", "status", "gas used", "nonce", "events",
         "arguments"],
        ([t.block, t.hash, t.sender, t.kind, t.status, t.gas_used, t.nonce,
          ", ".join(t.events) or "", t.args or ""] for t in txs),
        row_classes=["fail" if t.status == "reverted" else "" for t in txs],
        numeric=(0, 5, 6))
