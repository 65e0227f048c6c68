"""nfc.sign_other_amount — the phone signs a cumulative amount other than the one asked for.

The signature is genuine and the phone records it (it is a receipt the customer really
signed), but it covers `delta` more (or less) than the machine requested. The machine must
check the signature against the sequence and amount it asked for and refuse it; the receipt
comes back later, through GET LAST RECEIPT, as a credit for exactly what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.phone_fault import PhoneFault
from rig.faults.registry import register


@register
@dataclass
class NfcSignOtherAmount(PhoneFault):
    kind = "nfc.sign_other_amount"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "nfc"
    description = ("the phone signs and records a receipt for the requested cumulative amount "
                   "+ `delta` instead of the one asked for; the machine must refuse it")
    delta: int = -1

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.delta != 0, "delta must not be 0 (that is an honest phone)")

    def switches(self) -> dict[str, Any]:
        return {"other_amount": self.delta}
