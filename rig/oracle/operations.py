"""Jepsen operations reconstructed from the checkpoint stream: each tap and each redeem as
invoke → ok / fail / info.

Reporting only: the invariants are bounds that already accept either result of an *info*
operation (a receipt signed but never acknowledged may be redeemed or not), so nothing here
changes a verdict. It tells the auditor which operations the faults left undecided.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rig.history import History, Mark

TAP_OUTCOMES = {"served": "ok", "credited": "ok", "refused": "fail", "lost": "info",
                "pending": "info"}


@dataclass
class Operation:
    kind: str                     # tap | redeem
    boot: int
    started_at: float
    outcome: str = "info"         # ok | fail | info
    ended_at: float | None = None
    detail: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def _taps(marks: list[Mark]) -> list[Operation]:
    ops: list[Operation] = []
    open_: Operation | None = None

    def interrupt(why: str) -> None:
        nonlocal open_
        if open_ is not None:
            open_.detail["interrupted"] = why
            _note_unacknowledged(open_)
            ops.append(open_)
        open_ = None

    for m in marks:
        if open_ is not None and m.boot != open_.boot:
            interrupt(f"the firmware rebooted (boot {m.boot}) before the tap's verdict")
        if m.name == "tap":
            interrupt("a new tap began before this one's verdict")
            open_ = Operation("tap", m.boot, m.at)
        elif open_ is None:
            continue
        elif m.name == "receipt-signed":
            open_.detail["signed"] = {k: m.data.get(k) for k in ("sequence", "cumulative")}
        elif m.name in ("receipt-persisted", "receipt-recovered"):
            open_.detail.setdefault("acknowledged", []).append(m.name)
        elif m.name == "tap-done":
            verdict = str(m.data.get("verdict"))
            open_.outcome = TAP_OUTCOMES.get(verdict, "info")
            open_.ended_at = m.at
            open_.detail.update(verdict=verdict, reason=m.data.get("reason", ""))
            _note_unacknowledged(open_)
            ops.append(open_)
            open_ = None
    interrupt("the run ended before the tap's verdict")
    return ops


def _note_unacknowledged(op: Operation) -> None:
    if "signed" in op.detail and "receipt-persisted" not in op.detail.get("acknowledged", []):
        op.outcome = "info" if op.outcome == "ok" else op.outcome
        op.detail["note"] = "signed, not acknowledged: redeemed or not, both are accepted"


def _redeems(h: History) -> list[Operation]:
    by_hash = {t.hash.lower(): t for t in h.machine_txs}
    ops = []
    for m in h.marks:
        if m.name != "redeem-signed":
            continue
        tx = by_hash.get(str(m.data.get("hash", "")).lower())
        outcome = "info" if tx is None else ("ok" if tx.status == 1 else "fail")
        detail = {k: m.data.get(k) for k in ("hash", "nonce", "sequence", "cumulative")}
        detail["mined"] = None if tx is None else {"block": tx.block, "status": tx.status}
        if tx is None:
            detail["note"] = "not in the final chain: a later redeem may carry the receipt"
        ops.append(Operation("redeem", m.boot, m.at, outcome, None, detail))
    return ops


def operations(h: History) -> list[Operation]:
    marks = sorted(h.marks, key=lambda m: m.seq)
    return sorted(_taps(marks) + _redeems(h), key=lambda o: o.started_at)
