"""NFC: the rig's phones presented through an NFC device of the rig host in target mode.

The bench's way to run every scenario against a real reader: the firmware's reader (on the
Pi, e.g. ``tty:AMA0:pn532``) polls, and a second NFC device on the rig host (e.g. a PN533 on
USB, ``usb:054c:0193``) emulates the phone in card-emulation mode
(``emulators/nfc/target_mode.py``), so the rig still owns the phones and knows what they
signed. ``device = "udp"`` pairs nfcpy's udp target and reader drivers on 127.0.0.1 instead:
the same target-mode code path, with no radio, for CI.
"""

from __future__ import annotations

import threading
from typing import Any

import nfc

from emulators.nfc.application import CardApplication
from emulators.nfc.presentation import TapEnd
from emulators.nfc.target_mode import TargetModeCard
from emulators.nfc.udp_port import free_port_for_nfcpy
from rig.hardware.protocols import Part, PhonePresenter
from rig.hardware.registry import PartContext, register


@register("nfc", "target-mode")
class TargetModePresenter(Part, PhonePresenter):
    def __init__(self, ctx: PartContext, device: str = "udp", reader: str | None = None,
                 poll_timeout: float = 0.3, link_timeout: float = 1.0) -> None:
        if device == "udp":
            device = f"udp:127.0.0.1:{free_port_for_nfcpy()}"
            reader = reader or device
        elif not reader:
            raise ValueError(f"[nfc] reader is needed with device = {device!r}: the firmware's "
                             "reader path on the Pi, e.g. 'tty:AMA0:pn532' or 'usb'")
        try:
            self.clf = nfc.ContactlessFrontend(device)
        except (OSError, ValueError, TypeError) as e:
            usb = " (USB devices need libusb: apt-get install libusb-1.0-0)" \
                if "libusb" in str(e) else ""
            raise ValueError(f"[nfc] device {device!r}: no NFC device for target mode there "
                             f"({e}); connect the rig host's reader (e.g. usb:054c:0193) "
                             f"and check its access rights{usb}") from e
        self.device, self.reader, self.poll_timeout = device, reader, poll_timeout
        self.card = TargetModeCard(self.clf, ctx.rng, link_timeout=link_timeout)
        self._serving = threading.Lock()

    def config(self) -> dict[str, Any]:
        return {"device": self.reader, "poll_timeout": self.poll_timeout}

    def describe(self) -> dict[str, str]:
        return {"driver": "nfcpy target mode (rig host) to the firmware's nfcpy reader",
                "device": f"{self.device} -> {self.reader}"}

    def tap(self, phone: CardApplication, timeout: float) -> TapEnd:
        """Hold ``phone`` in the reader's field until the session ends or ``timeout``."""
        with self._serving:
            return self.card.serve(phone, timeout)

    def remove(self) -> TapEnd | None:
        """A tap in progress ends by itself within the link timeout once the reader is
        gone (a dark machine); there is nothing to pull away sooner."""
        return None

    def close(self) -> None:
        self.clf.close()
