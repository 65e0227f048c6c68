"""nfc.missed_activation — the phone is held at the edge of the field and does not come up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.phone_fault import PhoneFault
from rig.faults.registry import register


@register
@dataclass
class NfcMissedActivation(PhoneFault):
    kind = "nfc.missed_activation"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "nfc"
    description = ("the phone's next `count` presentations are selected but never answer RATS "
                   "(held at the edge of the field): the firmware begins no tap, and the "
                   "person holds the phone again")
    count: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.count >= 1, f"count must be >= 1, got {self.count}")

    def switches(self) -> dict[str, Any]:
        return {"missed_activations": self.count}
