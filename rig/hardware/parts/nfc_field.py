"""NFC: the emulated field the firmware's reader polls over nfcpy's udp driver."""

from __future__ import annotations

from typing import Any

from emulators.nfc import Field
from emulators.nfc.application import CardApplication
from emulators.nfc.presentation import TapEnd
from rig.hardware.protocols import Part, PhonePresenter
from rig.hardware.registry import PartContext, register


@register("nfc", "emulated-field")
class EmulatedField(Part, PhonePresenter):
    def __init__(self, ctx: PartContext, poll_timeout: float = 0.3) -> None:
        self.field = Field(ctx.rng).start()
        self.poll_timeout = poll_timeout

    def config(self) -> dict[str, Any]:
        return {"device": self.field.device_path, "poll_timeout": self.poll_timeout}

    def describe(self) -> dict[str, str]:
        return {"driver": "nfcpy udp", "device": self.field.device_path}

    def tap(self, phone: CardApplication, timeout: float) -> TapEnd:
        return self.field.tap(phone, timeout)

    def remove(self) -> TapEnd | None:
        return self.field.remove()

    def close(self) -> None:
        self.field.close()
