"""C from ground truth: what the machine owes the channel in credit after the final sync.

Owed is what the customer paid minus what the board dispensed. *Paid* is read from the
receipts, never from the firmware's books:

- at least the highest acknowledged cumulative (``max(A)``): the machine made that payment
  durable and said so at a checkpoint;
- at most that, or the highest receipt a phone signed before a tap was cut off before its
  verdict (the firmware rebooted, or the run ended): the cut may have come after the receipt
  (signed, or recovered from the phone) reached the SD card and before the checkpoint that
  would have said so. Only such a tap leaves a receipt the machine may hold unacknowledged;
- a redeem inside that range proves the machine held the receipt, so ``P`` counts as paid
  up to the ceiling. ``P`` above the ceiling is money the machine took for no receipt it
  held: an overcharge (INV-3).

So ``paid = max(max(A), min(P, ceiling))`` and ``C = paid - value(B)``; ``C_max =
ceiling - value(B)`` is what the machine may owe when an uncertain receipt was durable but
never redeemed. The firmware's own ``credits`` must lie in ``[C, C_max]``: below it the
machine keeps money for coffee it will never give (an overcharge), above it the firmware
owes credit nobody paid for, which both gives coffee away and made the old equation
``P = value(B) + credits`` balance over an overcharge.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from rig.history import Mark, Signed
from rig.oracle.acknowledged import Ack


@dataclass(frozen=True)
class CutTap:
    """A tap that ended without a verdict: whatever it signed or recovered may be durable."""

    tap: Mark
    cut_before: float          # host moment by which it was over (inf: the run ended first)
    why: str

    def evidence(self) -> dict:
        return {"tap": asdict(self.tap), "cut_before": None if math.isinf(self.cut_before)
                else self.cut_before, "why": self.why}


def cut_taps(marks: list[Mark]) -> list[CutTap]:
    """Taps (``tap`` checkpoints) with no ``tap-done`` in the same boot before the next tap."""
    cut: list[CutTap] = []
    open_: Mark | None = None
    for m in sorted(marks, key=lambda m: m.seq):
        if open_ is not None and m.boot != open_.boot:
            cut.append(CutTap(open_, m.at, f"the firmware rebooted (boot {m.boot})"))
            open_ = None
        if m.name == "tap":
            if open_ is not None:
                cut.append(CutTap(open_, m.at, "a new tap began before its verdict"))
            open_ = m
        elif m.name == "tap-done":
            open_ = None
    if open_ is not None:
        cut.append(CutTap(open_, math.inf, "the run ended before its verdict"))
    return cut


@dataclass(frozen=True)
class Owed:
    acknowledged_max: int       # max(A)
    ceiling: int                # the most the machine may hold: max(A) or an uncertain receipt
    redeemed: int               # P
    dispensed_value: int        # value(B)
    reported: int               # the firmware's credits after the final sync
    uncertain: tuple[Signed, ...]   # receipts above max(A) a cut tap may have made durable
    cuts: tuple[CutTap, ...]

    @classmethod
    def of(cls, acks: list[Ack], signed: list[Signed], marks: list[Mark], redeemed: int,
           dispensed_value: int, reported: int) -> Owed:
        a_max = max((a.cumulative for a in acks), default=0)
        cuts = tuple(cut_taps(marks))
        uncertain = tuple(s for s in signed if s.cumulative > a_max
                          and any(s.signed_at < c.cut_before for c in cuts))
        ceiling = max([a_max, *(s.cumulative for s in uncertain)])
        return cls(a_max, ceiling, redeemed, dispensed_value, reported, uncertain, cuts)

    @property
    def paid(self) -> int:
        """What the customer certainly paid: acknowledged, or redeemed within the ceiling."""
        return max(self.acknowledged_max, min(self.redeemed, self.ceiling))

    @property
    def credits(self) -> int:
        """C: paid - value(B). Negative means more was dispensed than paid."""
        return self.paid - self.dispensed_value

    @property
    def credits_max(self) -> int:
        """The most the machine may owe: an uncertain receipt durable, never redeemed."""
        return max(self.ceiling, self.paid) - self.dispensed_value

    @property
    def overcharged(self) -> int:
        """P beyond any receipt the machine held (0 when none)."""
        return max(0, self.redeemed - self.ceiling)

    def evidence(self) -> dict:
        return {"acknowledged_max": self.acknowledged_max, "ceiling": self.ceiling,
                "paid": self.paid, "P": self.redeemed, "value(B)": self.dispensed_value,
                "C": self.credits, "C_max": self.credits_max,
                "reported": self.reported,
                "uncertain": [asdict(s) for s in self.uncertain],
                "cut_taps": [c.evidence() for c in self.cuts]}
