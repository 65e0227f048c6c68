"""NFC: the emulated field the firmware's reader polls over nfcpy's udp driver."""

from __future__ import annotations

from typing import Any

from emulators.nfc import Field
from rig.hardware.registry import PartContext, register


@register("nfc", "emulated-field")
class EmulatedField:
    def __init__(self, ctx: PartContext) -> None:
        self.field = Field(ctx.rng).start()

    def config(self) -> dict[str, Any]:
        return {"device": self.field.device_path, "poll_timeout": 0.3}

    def close(self) -> None:
        self.field.close()
