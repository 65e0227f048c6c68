"""The machine's NFC reader: polls for a phone through nfcpy, on real or emulated hardware.

The device path comes from configuration (``udp:127.0.0.1:PORT`` for the emulated field,
``usb``, ``usb:VID:PID`` or ``tty:AMA0:pn532`` for real readers); the code is the same.
"""

from __future__ import annotations

import logging
import time

import nfc
import nfc.clf
import nfc.tag
import nfc.tag.tt4

from firmware.nfc.errors import ReaderUnavailable
from firmware.nfc.session import PhoneSession

log = logging.getLogger(__name__)


class NfcReader:
    """Blocking reader. ``poll`` returns a ``PhoneSession`` for a Type 4A card or None."""

    def __init__(self, device: str):
        self.device = device
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
            try:
                tag = clf.connect(
                    rdwr={"on-connect": lambda tag: False, "targets": ["106A"],
                          "iterations": 1, "interval": 0},
                    terminate=terminate)
            except (nfc.clf.CommunicationError, nfc.tag.TagCommandError,
                    IndexError, TypeError) as exc:
                log.warning("a card in the field failed activation (%s); polling on", exc)
                tag = None
            if tag is False:
                raise ReaderUnavailable(
                    f"NFC device {self.device!r} failed while polling (for the emulated "
                    f"field: is the Field running on that port?)")
            if isinstance(tag, nfc.tag.tt4.Type4ATag):
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

    def _require_open(self) -> nfc.ContactlessFrontend:
        if self._clf is None:
            raise ReaderUnavailable(f"NFC reader on {self.device!r} is closed")
        return self._clf

    def _end_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
