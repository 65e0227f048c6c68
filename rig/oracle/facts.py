"""Everything the invariants read, derived once from a History (ground truth only).

Each invariant module gets the same ``Facts``: ordered receipts, dispenses and chain events,
the acknowledged receipts, the ledger numbers and the close window (with when chain time
passed the close deadline). Malformed input raises ``HistoryError`` here, before any verdict
is formed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from rig.history import ChainEvent, Dispensed, History, Signed
from rig.oracle.acknowledged import Ack, acknowledged
from rig.oracle.deadline import DeadlinePassed, deadline_passed
from rig.oracle.effects import change_of
from rig.oracle.errors import HistoryError
from rig.oracle.ledger import Ledger
from rig.oracle.online import (
    CloseWindow,
    close_step,
    close_window,
    is_close_step,
    redeems_undone,
)
from rig.oracle.owed import Owed


def arg(event: ChainEvent, key: str) -> Any:
    """An event argument, or a HistoryError naming the event and what it does carry."""
    try:
        return event.args[key]
    except KeyError:
        raise HistoryError(f"{event.name} event in block {event.block} (tx {event.tx}) has no "
                           f"argument {key!r}; it has {sorted(event.args)}") from None


def _sync_interval(h: History) -> float:
    value = h.settings.get("sync_interval")
    needed = any(is_close_step(e) for e in h.timeline)
    if value is None and not needed:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise HistoryError(f"History.settings['sync_interval'] must be a positive number of "
                           f"seconds (the timeline has a close step), got {value!r}")
    return float(value)


def _deadline(h: History, events: list[ChainEvent]) -> DeadlinePassed | None:
    """When chain time passed the first CloseRequested's deadline (deadline.py), or None."""
    step = close_step(h.timeline)
    close = next((e for e in events if e.name == "CloseRequested"), None)
    if step is None or close is None:
        return None
    deadline = arg(close, "deadline")
    if isinstance(deadline, bool) or not isinstance(deadline, int):
        raise HistoryError(f"CloseRequested event in block {close.block} (tx {close.tx}) has "
                           f"deadline {deadline!r}; it must be an integer (chain seconds)")
    return deadline_passed(h.timeline, step, close, deadline, h.blocks)


@dataclass
class Facts:
    history: History
    signed: list[Signed]              # by signed_at
    dispensed: list[Dispensed]        # by started_at
    acks: list[Ack]                   # in checkpoint order
    events: list[ChainEvent]          # the channel's events, chain order
    window: CloseWindow

    @classmethod
    def of(cls, h: History) -> Facts:
        for d in h.dispensed:
            if d.product not in h.prices:
                raise HistoryError(f"dispense of brew {d.brew_id} (started {d.started_at}) is "
                                   f"product {d.product}, which History.prices does not price "
                                   f"(known: {sorted(h.prices)})")
        if "credits" not in h.final_status:
            raise HistoryError("History.final_status has no 'credits' (the firmware's status "
                               "after the final sync is needed for C)")
        signed = sorted(h.signed, key=lambda s: s.signed_at)
        dispensed = sorted(h.dispensed, key=lambda d: (d.started_at, d.brew_id))
        events = sorted(h.events, key=lambda e: e.block)
        acks = acknowledged(h.marks)
        for entry in h.timeline:      # a fault or step without a declaration fails here
            change_of(entry)
        facts = cls(h, signed, dispensed, acks, events,
                    close_window(h.timeline, _sync_interval(h), _deadline(h, events),
                                 sorted(m.at for m in h.marks if m.name == "synced"),
                                 redeems_undone(h.timeline, {t.hash for t in h.machine_txs
                                                             if t.kind == "redeem"})))
        _ = facts.ledger          # malformed events or credits fail here, before any verdict
        return facts

    # ------------------------------------------------------------------ chain
    def named(self, name: str) -> list[ChainEvent]:
        return [e for e in self.events if e.name == name]

    @property
    def redeemed(self) -> list[ChainEvent]:
        return self.named("Redeemed")

    @property
    def settled(self) -> ChainEvent | None:
        return next(iter(self.named("Settled")), None)

    def before(self, event: ChainEvent) -> list[ChainEvent]:
        """The channel's events that precede ``event`` in chain order."""
        return self.events[:self.events.index(event)]

    def tx_moment(self, tx_hash: str) -> float | None:
        """When the firmware signed transaction ``tx_hash`` (its ``*-signed`` checkpoint), so
        a chain-only finding still shows the fault timeline of its moment."""
        for m in self.history.marks:
            if m.name.endswith("-signed") and str(m.data.get("hash", "")).lower() == \
                    tx_hash.lower():
                return m.at
        return None

    @property
    def machine_tx_hashes(self) -> set[str]:
        return {t.hash.lower() for t in self.history.machine_txs}

    @property
    def closed_offline(self) -> bool:
        """The INV-2/INV-3 exemption: after a close request the channel closed for good while
        the machine could not act inside the close window (``CloseWindow.machine_could_act``).
        Closed for good: settled by ``settle`` (the window ends at the settle step), or chain
        time passed the deadline (the window ends there; the contract refuses every later
        redeem)."""
        settled = self.settled
        if not self.named("CloseRequested") or self.window.machine_could_act:
            return False
        if settled is not None and settled.tx.lower() in self.machine_tx_hashes:
            return False               # the machine's own cooperativeClose: it was online
        if self.window.ended_by == "deadline":
            return True
        return settled is not None and self.window.bounded

    def exemption_reason(self) -> str:
        """Why the exemption holds, for the finding's message."""
        if self.window.deadline is not None and self.window.ended_by == "deadline":
            return f"{self.window.deadline.describe()} while the machine was offline"
        return "the channel settled while the machine was offline"

    def exemption_evidence(self) -> dict[str, list[dict]]:
        settled = self.settled
        return {"close_window": [self.window.to_json()],
                "events": [asdict(e) for e in self.named("CloseRequested")]
                + ([asdict(settled)] if settled else [])}

    # ------------------------------------------------------------------ prices
    def price(self, d: Dispensed) -> int:
        return self.history.prices[d.product]

    def dispense_evidence(self, d: Dispensed) -> dict:
        return {**asdict(d), "price": self.price(d)}

    # ------------------------------------------------------------------ ledger
    @cached_property
    def owed(self) -> Owed:
        """C from the receipts, the acknowledgements, the board and the chain (owed.py)."""
        credits = self.history.final_status["credits"]
        if isinstance(credits, bool) or not isinstance(credits, int):
            raise HistoryError(f"History.final_status['credits'] must be an integer, got "
                               f"{credits!r}")
        return Owed.of(self.acks, self.signed, self.history.marks,
                       sum(arg(e, "amount") for e in self.redeemed),
                       sum(self.price(d) for d in self.dispensed), credits)

    @cached_property
    def ledger(self) -> Ledger:
        deposit = (sum(arg(e, "deposit") for e in self.named("ChannelOpened"))
                   + sum(arg(e, "amount") for e in self.named("ToppedUp")))
        refunded = sum(arg(e, "refunded") for e in self.named("Settled"))
        owed = self.owed
        return Ledger(
            deposit=deposit,
            signed_max=max((s.cumulative for s in self.signed), default=0),
            signed_receipts=len(self.signed),
            acknowledged_max=owed.acknowledged_max,
            acknowledged_receipts=len(self.acks),
            redeemed=owed.redeemed, refunded=refunded,
            locked=deposit - owed.redeemed - refunded,
            dispensed=len(self.dispensed), dispensed_value=owed.dispensed_value,
            credits=owed.credits, credits_max=owed.credits_max,
            credits_reported=owed.reported)
