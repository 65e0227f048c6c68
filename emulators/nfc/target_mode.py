"""The bench path: present an emulated phone to a real reader through a real NFC device.

A bench rig puts a reader-capable device (e.g. a PN533 on USB) into card-emulation (target)
mode with ``nfc.ContactlessFrontend(path).listen(LocalTarget('106A', ...), timeout)``; the
device does anticollision and hands over the reader's RATS, then ``clf.exchange()`` carries
ISO-DEP frames. The frames are produced by the same ``IsoDepCard`` the UDP field uses.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time

import nfc
import nfc.clf

from emulators.nfc.anticollision import SEL_RES_ISO_DEP, TypeAIdentity
from emulators.nfc.application import CardApplication
from emulators.nfc.isodep import IsoDepCard, IsoDepTiming, Reply
from emulators.nfc.presentation import TapEnd

log = logging.getLogger(__name__)

# Some drivers read a timeout of 0 as "wait forever"; after a last frame only a short look.
_LAST_FRAME_TIMEOUT = 0.005


class TargetModeCard:
    """Serves one tap of ``app`` through an open ``nfc.ContactlessFrontend`` in target mode."""

    def __init__(self, clf: nfc.ContactlessFrontend, rng: random.Random,
                 timing: IsoDepTiming | None = None, link_timeout: float = 1.0):
        self.clf = clf
        self.rng = rng
        self.timing = timing or IsoDepTiming()
        self.link_timeout = link_timeout

    def serve(self, app: CardApplication, timeout: float) -> TapEnd:
        """Wait up to ``timeout`` s to be activated, then run the ISO-DEP session to its end."""
        identity = TypeAIdentity.random(self.rng)
        target = nfc.clf.LocalTarget(
            "106A", sens_res=bytearray(identity.sens_res), sdd_res=bytearray(identity.uid),
            sel_res=bytearray([SEL_RES_ISO_DEP]))
        activated = self.clf.listen(target, timeout)
        if activated is None or not activated.tt4_cmd:
            return TapEnd.TIMEOUT
        card = IsoDepCard(app, self.timing)
        reply = card.activate(bytes(activated.tt4_cmd), time.monotonic())
        if reply is None:
            log.warning("reader sent %s instead of RATS", bytes(activated.tt4_cmd).hex())
            return TapEnd.FIELD_OFF
        return self._run(card, reply)

    def _run(self, card: IsoDepCard, reply: Reply | None) -> TapEnd:
        while True:
            frame = None
            if reply is not None:
                time.sleep(max(0.0, reply.send_at - time.monotonic()))
                frame = reply.frame
            if card.finished:
                self._last(frame)
                return TapEnd.PULLED_AWAY if card.left else TapEnd.DESELECTED
            try:
                command = self.clf.exchange(frame, self.link_timeout)
            except nfc.clf.BrokenLinkError:
                return TapEnd.FIELD_OFF
            except nfc.clf.TimeoutError:
                return TapEnd.TIMEOUT
            except nfc.clf.CommunicationError as exc:
                log.debug("target mode: %s; waiting for the reader's retry", exc)
                reply = None
                continue
            if command is None:
                return TapEnd.FIELD_OFF
            reply = card.receive(bytes(command), time.monotonic())

    def _last(self, frame: bytes | None) -> None:
        if frame is None:
            return
        with contextlib.suppress(nfc.clf.CommunicationError):
            self.clf.exchange(frame, _LAST_FRAME_TIMEOUT)
