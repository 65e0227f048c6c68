"""The machine's NFC reader: polls for a phone through nfcpy, on real or emulated hardware.

The device path comes from configuration (``udp:127.0.0.1:PORT`` for the emulated field,
``usb``, ``usb:VID:PID`` or ``tty:AMA0:pn532`` for real readers); the code is the same.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import nfc
import nfc.clf
import nfc.tag
import nfc.tag.tt4

from firmware.nfc.errors import ReaderUnavailable
from firmware.nfc.session import PhoneSession

log = logging.getLogger(__name__)


@dataclass
class ReaderStats:
    """What the reader has done since it opened: a reader that polls but never connects is told
    apart from one that stopped polling, and a phone that failed activation is not silent."""

    polls: int = 0        # poll cycles (one ``clf.connect`` each)
    discovered: int = 0   # cards that answered anticollision (or broke it)
    connected: int = 0    # of those, activated as ISO-DEP (Type 4A) phones
    failed: int = 0       # discovered but not activated: no or late ATS, a broken link
    last_failure: str = ""


class NfcReader:
    """Blocking reader. ``poll`` returns a ``PhoneSession`` for a Type 4A card or None."""

    def __init__(self, device: str):
        self.device = device
        self.stats = ReaderStats()
        self._session: PhoneSession | None = None
        try:
            self._clf: nfc.ContactlessFrontend | None = nfc.ContactlessFrontend(device)
        except (OSError, ValueError, TypeError) as exc:
            raise ReaderUnavailable(
                f"cannot open NFC device {device!r} ({exc}); expected udp:HOST:PORT, usb, "
                f"usb:VID:PID or tty:PORT:DRIVER, with access rights to it") from exc

    def poll(self, timeout: float) -> PhoneSession | None:
        """Search the field (106A only) for at least one cycle and until ``timeout`` seconds.

        A previous session is ended first. One empty poll cycle takes as long as the device
        waits for an answer (1 s on nfcpy's udp driver), whatever ``timeout`` says.
        """
        clf = self._require_open()
        self._end_session()
        deadline = time.monotonic() + timeout
        cycles = 0

        def terminate() -> bool:
            nonlocal cycles
            cycles += 1
            return cycles > 1 and time.monotonic() >= deadline

        while True:
            discovered = False

            def on_discover(target: nfc.clf.RemoteTarget) -> bool:
                nonlocal discovered
                if target.sel_res and target.sel_res[0] & 0x40:  # peer-to-peer, as nfcpy skips
                    return False
                discovered = True
                return True

            self.stats.polls += 1
            failure = "no answer to RATS, or the link broke during activation"
            try:
                tag = clf.connect(
                    rdwr={"on-connect": lambda tag: False, "on-discover": on_discover,
                          "targets": ["106A"], "iterations": 1, "interval": 0},
                    terminate=terminate)
            except (nfc.clf.CommunicationError, nfc.tag.TagCommandError,
                    IndexError, TypeError) as exc:
                # Something answered, but anticollision or activation broke.
                failure, tag, discovered = f"{type(exc).__name__}: {exc}", None, True
            if discovered:
                self.stats.discovered += 1
                if tag is None:
                    self.stats.failed += 1
                    self.stats.last_failure = failure
                    log.warning("a card in the field failed activation (%s); polling on",
                                failure)
            if tag is False:
                raise ReaderUnavailable(
                    f"NFC device {self.device!r} failed while polling (for the emulated "
                    f"field: is the Field running on that port?)")
            if isinstance(tag, nfc.tag.tt4.Type4ATag):
                self.stats.connected += 1
                self._session = PhoneSession(tag)
                return self._session
            if tag is not None:
                log.info("ignoring %s: not an ISO-DEP (Type 4A) phone", tag)
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        """End any session and release the device; idempotent."""
        self._end_session()
        if self._clf is not None:
            self._clf.close()
            self._clf = None

    def __enter__(self) -> NfcReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """The chip and driver nfcpy found (e.g. ``NXP PN532v1.6 at /dev/ttyAMA0``)."""
        return str(self._clf.device) if self._clf is not None else f"{self.device} (closed)"

    def _require_open(self) -> nfc.ContactlessFrontend:
        if self._clf is None:
            raise ReaderUnavailable(f"NFC reader on {self.device!r} is closed")
        return self._clf

    def _end_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
