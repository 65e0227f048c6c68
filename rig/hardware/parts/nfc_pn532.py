"""NFC: an emulated PN532 on a pty, which the firmware opens with nfcpy's real tty driver
(``tty:NAME:pn532``, as a Pi with a PN532 breakout on its UART), bridged to the emulated
field where phones are presented."""

from __future__ import annotations

from typing import Any

from emulators.nfc import Field
from emulators.nfc.application import CardApplication
from emulators.nfc.pn532 import EmulatedPn532
from emulators.nfc.presentation import TapEnd
from rig.hardware.protocols import Part, PhonePresenter
from rig.hardware.registry import PartContext, register


@register("nfc", "emulated-pn532")
class EmulatedPn532Reader(Part, PhonePresenter):
    def __init__(self, ctx: PartContext, poll_timeout: float = 0.3) -> None:
        self.poll_timeout = poll_timeout
        self.field = Field(ctx.rng).start()
        try:
            self.chip = EmulatedPn532(("127.0.0.1", self.field.port)).start()
        except BaseException:
            self.field.close()
            raise
        self._device = f"{self.chip.port} -> {self.chip.pts}"   # still known after close()

    def config(self) -> dict[str, Any]:
        return {"device": self.chip.device_path, "poll_timeout": self.poll_timeout}

    def describe(self) -> dict[str, str]:
        return {"driver": "nfcpy tty pn532", "device": self._device}

    def tap(self, phone: CardApplication, timeout: float) -> TapEnd:
        return self.field.tap(phone, timeout)

    def remove(self) -> TapEnd | None:
        return self.field.remove()

    def close(self) -> None:
        try:
            self.chip.close()
        finally:
            self.field.close()
