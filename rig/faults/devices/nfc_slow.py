"""nfc.slow — the phone thinks before signing; the link must hold with S(WTX)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.phone_fault import PhoneFault
from rig.faults.registry import register


@register
@dataclass
class NfcSlow(PhoneFault):
    kind = "nfc.slow"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "nfc"
    description = ("the phone takes `seconds` to answer SIGN RECEIPT (far beyond the reader's "
                   "retry budget without WTX); the payment must still complete")
    seconds: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(math.isfinite(self.seconds) and self.seconds > 0,
                     f"seconds must be a finite number > 0, got {self.seconds}")

    def switches(self) -> dict[str, Any]:
        return {"slow_seconds": self.seconds}
