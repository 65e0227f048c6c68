"""Switches that make a phone misbehave the way real phones and people do."""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass


class PullAway(enum.Enum):
    """When the phone leaves the field (it then says nothing more, like a real phone)."""

    NEVER = "never"
    AFTER_SELECT = "after-select"        # answers SELECT, then is gone
    MID_SIGN = "mid-sign"                # receives SIGN RECEIPT, leaves before answering
    BEFORE_RESPONSE = "before-response"  # signs and records the receipt, leaves unanswered


class BadSignature(enum.Enum):
    NONE = "none"
    WRONG_KEY = "wrong-key"   # a well-formed signature by a key that is not authorised
    CORRUPTED = "corrupted"   # the right signature with r altered (v and low s kept)


@dataclass(frozen=True)
class Behaviour:
    """How one phone misbehaves; the default is a well-behaved phone.

    ``slow_seconds`` is the think time before answering SIGN RECEIPT (covered by S(WTX)).
    ``replay_old_signature`` answers SIGN RECEIPT with a signature it made earlier.
    ``other_amount`` signs (and records) a cumulative amount that differs by this much from
    the one requested: a genuine receipt, but not for what the machine asked.
    ``missed_activations`` is how many of the next presentations the phone does not come up
    (held at the edge of the field: selected, no ATS); each one used counts down.
    """

    decline: bool = False
    slow_seconds: float = 0.0
    pull_away: PullAway = PullAway.NEVER
    bad_signature: BadSignature = BadSignature.NONE
    replay_old_signature: bool = False
    other_amount: int = 0
    missed_activations: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.other_amount, bool) or not isinstance(self.other_amount, int):
            raise ValueError(f"other_amount must be an int, got {self.other_amount!r}")
        if isinstance(self.missed_activations, bool) or not isinstance(
                self.missed_activations, int) or self.missed_activations < 0:
            raise ValueError(f"missed_activations must be an int ≥ 0, got "
                             f"{self.missed_activations!r}")
        if not (math.isfinite(self.slow_seconds) and self.slow_seconds >= 0):
            raise ValueError(f"slow_seconds must be finite and ≥ 0, got {self.slow_seconds}")
        if self.replay_old_signature and self.bad_signature is not BadSignature.NONE:
            raise ValueError("choose either replay_old_signature or bad_signature, not both")

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["pull_away"] = self.pull_away.value
        data["bad_signature"] = self.bad_signature.value
        return data
