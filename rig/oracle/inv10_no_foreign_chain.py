"""INV-10 no transaction to a foreign chain: the machine sends nothing to a node that reports
another chain id.

Ground truth is the RPC proxy between the firmware and the node (rig/net/rpcwatch.py): every
``eth_sendRawTransaction`` it delivered to the node (``History.sent_to_node``) and every
``eth_chainId`` answer it delivered to the machine (``History.node_chain_ids``), on the host
clock. The node reports a foreign id while a ``chain.id_mismatch`` is active: the timeline's
``fire`` entry is written before the node switches and its ``heal`` entry after it switched
back, so ``[fire, heal]`` holds the whole mismatch (no heal: to the end of the run).

For each transaction delivered inside a mismatch, with the last chain id answer the machine
got before it:

- that answer was foreign: the machine was told and sent anyway → **fail**;
- that answer was the configured id and came after the ``fire`` entry: the node had not yet
  switched (or had switched back) when it was asked → not a send to a foreign chain;
- that answer (the configured id) came before the ``fire`` and no ``synced`` checkpoint lies
  between it and the send: the firmware checked at the start of a round and the node changed
  under that round → **info** (concurrent, Jepsen's indeterminate);
- otherwise (no answer at all, or a whole round went by since the last one) the machine sent
  without asking → **fail**.

Evidence: the transactions (hash, the chain id they were signed for, when they reached the
node), the answer the machine last had, the mismatch's timeline entries.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

from rig.history import NodeChainId, SentToNode, TimelineEntry
from rig.oracle.facts import Facts
from rig.oracle.registry import Finding, Result, invariant

MISMATCH = "chain.id_mismatch"


@dataclass(frozen=True)
class Mismatch:
    fire: TimelineEntry
    heal: TimelineEntry | None

    @property
    def end(self) -> float:
        return self.heal.at if self.heal is not None else math.inf

    def holds(self, at: float) -> bool:
        return self.fire.at <= at <= self.end

    def evidence(self) -> list[dict]:
        return [asdict(self.fire)] + ([asdict(self.heal)] if self.heal else [])


def mismatches(timeline: list[TimelineEntry]) -> list[Mismatch]:
    """Each ``chain.id_mismatch`` from its first ``fire`` to the ``heal`` that ended it."""
    out, fire = [], None
    for e in sorted(timeline, key=lambda e: e.at):
        if e.kind != MISMATCH:
            continue
        if e.action == "fire" and fire is None:
            fire = e
        elif e.action == "heal" and fire is not None:
            out.append(Mismatch(fire, e))
            fire = None
    if fire is not None:
        out.append(Mismatch(fire, None))
    return out


def _last_answer(told: list[NodeChainId], at: float) -> NodeChainId | None:
    return max((a for a in told if a.at <= at), key=lambda a: a.at, default=None)


@invariant("INV-10", "no transaction to a foreign chain")
def no_foreign_chain(f: Facts) -> Result:
    h = f.history
    windows = mismatches(h.timeline)
    synced = sorted(m.at for m in h.marks if m.name == "synced")
    findings = []
    inside = 0
    for sent in sorted(h.sent_to_node, key=lambda s: s.at):
        window = next((w for w in windows if w.holds(sent.at)), None)
        if window is None:
            continue
        inside += 1
        last = _last_answer(h.node_chain_ids, sent.at)
        outcome, why = _judge(h.chain_id, window, last, sent, synced)
        if outcome is None:
            continue
        findings.append(Finding(
            outcome,
            f"transaction {sent.tx_hash} reached the node while it reported another chain "
            f"id: {why}",
            {"transactions": [asdict(sent)],
             "last_chain_id_answer": [asdict(last)] if last else [],
             "mismatch": window.evidence()},
            at=sent.at))
    return Result(findings, f"{len(h.sent_to_node)} transaction(s) reached the node, "
                            f"{inside} of them during {len(windows)} chain id mismatch(es)")


def _judge(configured: int, window: Mismatch, last: NodeChainId | None, sent: SentToNode,
           synced: list[float]) -> tuple[Literal["fail", "info"] | None, str]:
    if last is None:
        return "fail", "the machine never asked the node its chain id"
    if last.chain_id != configured:
        return "fail", (f"the node had answered chain id {last.chain_id} (configured "
                        f"{configured}) {sent.at - last.at:.3f} s before")
    if last.at >= window.fire.at:
        return None, ""
    rounds = [t for t in synced if last.at < t < sent.at]
    if not rounds:
        return "info", ("it belongs to a sync round that checked the chain id "
                        f"{sent.at - last.at:.3f} s before, ahead of the mismatch")
    return "fail", (f"the machine last asked the chain id {sent.at - last.at:.3f} s before "
                    f"and completed {len(rounds)} sync round(s) since without asking")
