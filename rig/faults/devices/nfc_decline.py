"""nfc.decline — the user refuses the purchase on the phone (status 69 85)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.phone_fault import PhoneFault
from rig.faults.registry import register


@register
@dataclass
class NfcDecline(PhoneFault):
    kind = "nfc.decline"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "nfc"
    description = "the phone declines every purchase: nothing may be charged or brewed"

    def switches(self) -> dict[str, Any]:
        return {"decline": True}
