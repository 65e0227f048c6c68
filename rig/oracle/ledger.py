"""The per-channel ledger: the numbers every invariant is stated in (protocol/invariants.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Ledger:
    deposit: int                  # D: ChannelOpened.deposit + Σ ToppedUp.amount
    signed_max: int               # max(S): highest cumulative any phone signed
    signed_receipts: int
    acknowledged_max: int         # max(A): highest cumulative the machine acknowledged
    acknowledged_receipts: int
    redeemed: int                 # P: Σ Redeemed.amount
    refunded: int                 # R: Σ Settled.refunded
    locked: int                   # L = D - P - R
    dispensed: int                # coffees the board dispensed
    dispensed_value: int          # value(B)
    credits: int                  # C: paid - value(B), from ground truth (oracle/owed.py)
    credits_max: int              # C with every uncertain receipt durable, never redeemed
    credits_reported: int         # the firmware's own credits after the final sync

    def to_json(self) -> dict:
        return asdict(self)

    def rows(self) -> list[tuple[str, int]]:
        """Labelled lines for a report, in the order an auditor reads them."""
        return [
            ("D  deposited into the channel", self.deposit),
            (f"S  signed by phones, max ({self.signed_receipts} receipts)", self.signed_max),
            (f"A  acknowledged by the machine, max ({self.acknowledged_receipts})",
             self.acknowledged_max),
            ("P  redeemed to the payee", self.redeemed),
            ("R  refunded to the customer", self.refunded),
            ("L  still locked", self.locked),
            (f"B  dispensed ({self.dispensed} coffees), value", self.dispensed_value),
            ("C  credits owed by the machine (paid - B)", self.credits),
            ("   at most, with uncertain receipts", self.credits_max),
            ("   reported by the firmware", self.credits_reported),
        ]
