"""nfc.bad_signature — the phone answers SIGN RECEIPT with a worthless signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulators.phone import BadSignature
from rig.effects import Effect
from rig.faults.devices.phone_fault import PhoneFault
from rig.faults.registry import register

MODES = tuple(m.value for m in BadSignature if m is not BadSignature.NONE)


@register
@dataclass
class NfcBadSignature(PhoneFault):
    kind = "nfc.bad_signature"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "nfc"
    description = ("the phone's signature is by an unauthorised key (wrong-key) or has r "
                   "altered (corrupted); the machine must refuse it")
    mode: str = "wrong-key"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require(self.mode in MODES, f"mode must be one of {', '.join(MODES)}; "
                                         f"got {self.mode!r}")

    def switches(self) -> dict[str, Any]:
        return {"bad_signature": BadSignature(self.mode)}
