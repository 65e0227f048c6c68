"""nfc.replay_signature — the phone answers with a signature it made for another receipt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.devices.phone_fault import PhoneFault
from rig.faults.registry import register


@register
@dataclass
class NfcReplaySignature(PhoneFault):
    kind = "nfc.replay_signature"
    effects = frozenset({Effect.DEVICE_ONLY})
    family = "nfc"
    description = ("the phone replays an old, genuine signature instead of signing the new "
                   "receipt; the machine must refuse it")

    def switches(self) -> dict[str, Any]:
        return {"replay_old_signature": True}
