"""nfc.pull_away — the phone leaves the field at a chosen moment of the payment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulators.phone import PullAway
from rig.effects import Effect
from rig.faults.devices.phone_fault import PhoneFault
from rig.faults.registry import register

WHEN = tuple(p.value for p in PullAway if p is not PullAway.NEVER)


@register
@dataclass
class NfcPullAway(PhoneFault):
    kind = "nfc.pull_away"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "nfc"
    description = ("the phone leaves the field `when` (after-select | mid-sign | "
                   "before-response: it signed, the machine never got the signature)")
    when: str = "before-response"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.when in WHEN, f"when must be one of {', '.join(WHEN)}; "
                                        f"got {self.when!r}")

    def switches(self) -> dict[str, Any]:
        return {"pull_away": PullAway(self.when)}
