"""The per-channel ledger and the invariants it can decide (protocol/invariants.md).

Inputs are ground truth: the receipts the phones signed, the coffees the brew board
dispensed, the chain's events; the firmware contributes only the credits it owes (C), which
the invariants then check against everything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import pairwise

from emulators.brewboard import DispenseRecord
from emulators.phone import Phone
from emulators.phone.channels import ChannelKey
from rig.chain.tx import events_in_range
from rig.platform import Platform


@dataclass
class Ledger:
    deposit: int                  # D
    signed_max: int               # max(S): highest cumulative any phone signed
    signed_receipts: int
    redeemed: int                 # P
    refunded: int                 # R
    locked: int                   # L
    dispensed: int                # coffees physically dispensed
    dispensed_value: int          # value(B)
    credits: int                  # C, owed by the machine after sync
    redeemed_events: list[dict] = field(default_factory=list)
    verdicts: dict[str, bool] = field(default_factory=dict)

    @property
    def reconciled(self) -> bool:
        return all(self.verdicts.values())

    def to_json(self) -> dict:
        return asdict(self)


def channel_ledger(p: Platform, channel_id: bytes, phones: Iterable[Phone],
                   dispenses: Iterable[DispenseRecord], prices: dict[int, int],
                   credits: int) -> Ledger:
    key = ChannelKey(p.chain.chain_id, p.payments.address, channel_id)
    signed = [r for ph in phones for r in ph.wallet.receipts(key)]
    opened = events_in_range(p.payments, "ChannelOpened", channelId=channel_id)
    topped = events_in_range(p.payments, "ToppedUp", channelId=channel_id)
    redeemed = events_in_range(p.payments, "Redeemed", channelId=channel_id)
    settled = events_in_range(p.payments, "Settled", channelId=channel_id)
    deposit = sum(e["deposit"] for e in opened) + sum(e["amount"] for e in topped)
    paid = sum(e["amount"] for e in redeemed)
    refunded = sum(e["refunded"] for e in settled)
    locked = deposit - paid - refunded
    coffees = list(dispenses)
    value = sum(prices[d.product_id] for d in coffees)
    signed_max = max((r.cumulative_amount for r in signed), default=0)
    by_receipt = {(r.sequence, r.cumulative_amount) for r in signed}
    ledger = Ledger(deposit, signed_max, len(signed), paid, refunded, locked, len(coffees),
                    value, credits, [dict(e) for e in redeemed])
    ledger.verdicts = {
        "INV-2 P <= max(S)": paid <= signed_max,
        "INV-3 P = value(B) + C": paid == value + credits and credits >= 0,
        "INV-4 D = P + R + L": deposit == paid + refunded + locked
                               and p.balance(p.payments.address) >= locked,
        "INV-5 redeemed cumulative strictly increases": all(
            a["cumulativeAmount"] < b["cumulativeAmount"] and a["sequence"] < b["sequence"]
            for a, b in pairwise(redeemed)),
        "INV-8 every redeem matches a signed receipt": all(
            (e["sequence"], e["cumulativeAmount"]) in by_receipt for e in redeemed),
    }
    return ledger
