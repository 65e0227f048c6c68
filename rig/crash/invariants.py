"""What must hold in any store the firmware reopens after a crash, acknowledged or not.

Independent of the recorded expectations: these catch a partially applied purchase even
where the model comparison would only say "matches neither"."""

from __future__ import annotations

from collections import Counter
from typing import Any

from firmware.store import BrewState
from rig.crash.snapshot import Snapshot

# (delta, reason, ref) as the credits table holds them
CreditRow = tuple[int, str, int | None]


def chain_problems(snap: Snapshot) -> list[str]:
    """The receipt chain only grows: sequences and cumulative amounts strictly increase, and
    each purchase receipt raises the cumulative amount by exactly what it charged."""
    out = []
    previous = None
    for r in snap.receipts:
        if previous is not None:
            if r.sequence <= previous.sequence or r.cumulative <= previous.cumulative:
                out.append(f"chain: receipt #{r.sequence} ({r.cumulative}) does not extend "
                           f"#{previous.sequence} ({previous.cumulative})")
            elif r.origin == "tap" and r.cumulative - previous.cumulative != r.price:
                out.append(f"chain: receipt #{r.sequence} charges {r.price} but raises the "
                           f"cumulative by {r.cumulative - previous.cumulative}")
        previous = r
    return out


def purchase_problems(snap: Snapshot) -> list[str]:
    """A purchase is one transaction: its receipt, its brew and its spent credit together."""
    out = []
    brews = {b.brew_id: b for b in snap.brews}
    receipts = {r.sequence: r for r in snap.receipts}
    for r in snap.receipts:
        if r.origin != "tap":
            continue
        brew = brews.get(r.brew_id) if r.brew_id is not None else None
        if brew is None:
            out.append(f"partial purchase: receipt #{r.sequence} has no brew "
                       f"(brew id {r.brew_id})")
        elif brew.sequence != r.sequence or brew.paid_by_receipt != r.price:
            out.append(f"partial purchase: receipt #{r.sequence} and brew {r.brew_id} "
                       f"disagree (brew sequence {brew.sequence}, paid {brew.paid_by_receipt},"
                       f" receipt price {r.price})")
    for b in snap.brews:
        if b.sequence is not None and (b.sequence not in receipts
                                       or receipts[b.sequence].brew_id != b.brew_id):
            out.append(f"partial purchase: brew {b.brew_id} names receipt #{b.sequence}, "
                       "which does not name it back")
        if b.price != b.paid_by_receipt + b.paid_by_credit:
            out.append(f"partial purchase: brew {b.brew_id} costs {b.price} but was paid "
                       f"{b.paid_by_receipt} + {b.paid_by_credit} credit")
    return out


def credit_problems(snap: Snapshot, rows: list[CreditRow]) -> list[str]:
    """Credits move only with their cause: spent by a brew, granted for an undispensed brew
    (once) or for an adopted receipt; the balance is their sum and never negative."""
    out = []
    brews = {b.brew_id: b for b in snap.brews}
    recovered = {r.sequence for r in snap.receipts if r.origin == "recovered"}
    spent = Counter(ref for _, reason, ref in rows if reason == "spent")
    granted = Counter(ref for _, reason, ref in rows if reason == "undispensed")
    for delta, reason, ref in rows:
        brew = brews.get(ref) if ref is not None else None
        if reason == "spent" and (brew is None or -delta != brew.paid_by_credit):
            out.append(f"credits: {-delta} spent by brew {ref}, which "
                       + ("does not exist" if brew is None
                          else f"used {brew.paid_by_credit} credit"))
        elif reason == "undispensed" and (brew is None or brew.state is not BrewState.CREDITED
                                          or delta != brew.price):
            out.append(f"credits: {delta} granted for brew {ref}, which is "
                       + ("missing" if brew is None else f"{brew.state} at {brew.price}"))
        elif reason == "recovered" and ref not in recovered:
            out.append(f"credits: {delta} granted for receipt #{ref}, not an adopted receipt")
    for b in snap.brews:
        if b.paid_by_credit and spent[b.brew_id] != 1:
            out.append(f"credits: brew {b.brew_id} used {b.paid_by_credit} credit, spent "
                       f"{spent[b.brew_id]} times")
        if b.state is BrewState.CREDITED and granted[b.brew_id] != 1:
            out.append(f"credits: brew {b.brew_id} is credited {granted[b.brew_id]} times")
    total = sum(delta for delta, _, _ in rows)
    if total != snap.credit_balance or total < 0:
        out.append(f"credits: balance {snap.credit_balance}, rows sum to {total}")
    return out


def brew_id_problems(snap: Snapshot) -> list[str]:
    """Brew ids stay below the boot and brew counters, so none is ever handed out twice."""
    meta: dict[str, Any] = dict(snap.meta)   # JSON values: counters are ints or None
    boots, issued = int(meta.get("boots") or 0), int(meta.get("brews_this_boot") or 0)
    out = []
    for b in snap.brews:
        boot, number = b.brew_id >> 32, b.brew_id & 0xFFFFFFFF
        if boot > boots or (boot == boots and number > issued):
            out.append(f"brew ids: brew {number} of boot {boot} exists, but the counters say "
                       f"boot {boots} has issued {issued}: the id would be handed out again")
    return out


def snapshot_problems(snap: Snapshot, rows: list[CreditRow]) -> list[str]:
    return (chain_problems(snap) + purchase_problems(snap) + credit_problems(snap, rows)
            + brew_id_problems(snap))
