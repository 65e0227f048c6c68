"""What the field needs from a phone: an APDU in, a card action out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class CardAction:
    """A card application's answer to one command APDU.

    ``response`` None means the phone says nothing at all (it left or hung). ``delay`` is the
    phone's think time before the answer is ready; the ISO-DEP layer covers it with S(WTX).
    ``leave`` takes the phone out of the field after the answer (or at once if there is none).
    ``completes`` marks the answer that finishes a payment: a tap ends once it is sent.
    """

    response: bytes | None
    delay: float = 0.0
    leave: bool = False
    completes: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.delay) and self.delay >= 0):
            raise ValueError(f"CardAction.delay must be a finite number ≥ 0, got {self.delay}")


class CardApplication(Protocol):
    """A phone's card-emulation side (HCE): anything answering command APDUs."""

    def process_apdu(self, apdu: bytes) -> CardAction: ...


@runtime_checkable
class ActivationGate(Protocol):
    """A phone that may not come up when presented: held at the edge of the field, it is
    selected but its ATS never comes, and the reader gives the activation up."""

    def activates(self) -> bool:
        """Asked once per presentation: False keeps this one silent after the select."""
        ...
