"""The air between one nfcpy reader (udp driver) and whichever phone is presented.

One UDP socket stays bound for the field's whole life and speaks udp.py's datagram format
itself, so a re-poll right after RFOFF is never lost and a tap costs milliseconds. With no
phone presented the field is silent and the reader times out, as over an empty real reader.

A real reader keeps polling while it waits for a card (a PN532's InListPassiveTarget repeats
REQA until its timeout), so a phone held to it is found within milliseconds. nfcpy's udp
driver sends one SENS_REQ and listens for 1 s instead; the field therefore answers the
reader's latest poll when a phone arrives while that poll is still being listened for
(``LISTEN_WINDOW``), as the chip's next REQA would have found it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import random
import socket
import threading
import time

from emulators.nfc import datagram
from emulators.nfc.anticollision import REQA, WUPA, TypeAIdentity
from emulators.nfc.application import CardApplication
from emulators.nfc.errors import (
    DatagramError,
    FieldClosed,
    FieldOccupied,
    FieldStartError,
)
from emulators.nfc.isodep import IsoDepTiming, Reply
from emulators.nfc.presentation import Presentation, TapEnd
from emulators.nfc.udp_port import bind_for_nfcpy, nfcpy_opens
from emulators.ready import ready
from emulators.realtime import answer_promptly, serve_in_time

log = logging.getLogger(__name__)

Address = tuple[str, int]

# How long after a poll the field still answers it for a phone that arrives: well inside the
# udp driver's 1 s SENS_REQ wait, so the answer never lands after the driver has given up
# (it would then be read as the answer to its next command).
LISTEN_WINDOW = 0.6


class Field:
    """Emulated RF field. ``start()`` binds (port 0 picks a free one), ``close()`` releases."""

    def __init__(self, rng: random.Random, host: str = "127.0.0.1", port: int = 0,
                 timing: IsoDepTiming | None = None):
        self._rng = rng
        self._host, self._requested_port = host, port
        self._timing = timing or IsoDepTiming()
        self._lock = threading.Lock()
        self._presentation: Presentation | None = None
        self._scheduled: tuple[Reply, Address, Presentation] | None = None
        self._listening: tuple[bytes, Address, float] | None = None   # unanswered poll
        self._sock: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Field:
        if self._sock is not None:
            raise FieldStartError("the field is already started")
        port = self._requested_port
        if port and not nfcpy_opens(port):
            raise FieldStartError(
                f"cannot use udp port {port} for the NFC field: nfcpy's udp driver reads it "
                f"back as the service name {socket.getservbyport(port, 'tcp')!r} from "
                f"/etc/services and cannot open it; choose another port, or 0 for a free one")
        try:
            if port:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    sock.bind((self._host, port))
                except OSError:
                    sock.close()
                    raise
            else:
                sock = bind_for_nfcpy(self._host)
        except OSError as exc:
            why = ("the port is already in use (another field or nfcpy listener?); use port 0 "
                   "to pick a free one") if exc.errno == errno.EADDRINUSE else str(exc)
            raise FieldStartError(
                f"cannot bind the NFC field to udp {self._host}:{port}: {why}") from exc
        self._sock = sock
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False
        answer_promptly()
        self._thread = threading.Thread(target=self._run, name=f"nfc-field:{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._sock is None:
            raise FieldClosed("the field is not started")
        return self._sock.getsockname()[1]

    @property
    def device_path(self) -> str:
        """The nfcpy device path a reader uses to reach this field."""
        return f"udp:{self._host}:{self.port}"

    def close(self) -> None:
        """Stop the thread and release the socket; a waiting tap returns FIELD_CLOSED."""
        thread, self._stopping = self._thread, True
        if thread is not None:
            self._wake()
            thread.join(timeout=5)
        with self._lock:
            if self._presentation is not None:
                self._presentation.end(TapEnd.FIELD_CLOSED)
            self._presentation, self._scheduled = None, None
        for sock in (self._sock, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._sock = self._wake_r = self._wake_w = None
        self._thread = None

    def __enter__(self) -> Field:
        return self.start() if self._sock is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the rig does with phones -----------------------------------------------------

    def present(self, phone: CardApplication) -> None:
        """Hold ``phone`` to the reader until ``remove()`` (it may leave on its own)."""
        self._present(phone, ends_on_session_end=False)

    def remove(self) -> TapEnd | None:
        """Take the phone away (silence from now on); how it ended, None if the field was empty."""
        with self._lock:
            presentation = self._presentation
            if presentation is None:
                return None
            self._drop(presentation, TapEnd.REMOVED)
            return presentation.outcome

    def tap(self, phone: CardApplication, timeout: float) -> TapEnd:
        """Present ``phone`` until it has completed one payment (its SIGN RECEIPT answer is
        sent), the reader deselects it or switches the field off, the phone pulls away, or
        ``timeout`` seconds pass; then take it away. Returns how the tap ended."""
        presentation = self._present(phone, ends_on_session_end=True)
        presentation.done.wait(timeout)
        with self._lock:
            if presentation.outcome is None:
                self._drop(presentation, TapEnd.TIMEOUT)
            assert presentation.outcome is not None
            return presentation.outcome

    @property
    def phone(self) -> CardApplication | None:
        with self._lock:
            return self._presentation.app if self._presentation else None

    def _present(self, phone: CardApplication, ends_on_session_end: bool) -> Presentation:
        if self._thread is None or self._stopping:
            raise FieldClosed("start the field before presenting a phone")
        with self._lock:
            if self._presentation is not None:
                raise FieldOccupied(
                    f"a phone is already in the field ({self._presentation.app!r}); "
                    f"remove() it first")
            presentation = Presentation(phone, TypeAIdentity.random(self._rng), self._timing,
                                        ends_on_session_end, lossless_link=True)
            self._presentation = presentation
        self._wake()  # the field's thread answers a poll the reader is still listening for
        return presentation

    def _drop(self, presentation: Presentation, outcome: TapEnd) -> None:
        """With the lock held: end ``presentation`` and forget anything it had scheduled."""
        presentation.end(outcome)
        if self._presentation is presentation:
            self._presentation = None
        if self._scheduled is not None and self._scheduled[2] is presentation:
            self._scheduled = None

    # -- the field's thread ----------------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def _run(self) -> None:
        assert self._sock is not None and self._wake_r is not None
        serve_in_time()
        while not self._stopping:
            with self._lock:
                due = self._scheduled[0].send_at if self._scheduled else None
            wait = None if due is None else max(0.0, due - time.monotonic())
            readable, _ = ready([self._sock, self._wake_r], timeout=wait)
            if self._wake_r in readable:
                with contextlib.suppress(OSError):
                    self._wake_r.recv(64)
            try:
                if self._sock in readable:
                    self._receive()
                self._answer_listening()
                self._send_due()
            except Exception:  # keep the field up for the next tap; the log says what broke
                log.exception("NFC field %s: unexpected error; the field keeps running",
                              self.port)

    def _receive(self) -> None:
        assert self._sock is not None
        try:
            raw, addr = self._sock.recvfrom(4096)
        except OSError as exc:  # e.g. ICMP port unreachable from a reader that went away
            log.debug("field recv: %s", exc)
            return
        try:
            gram = datagram.decode(raw)
        except DatagramError as exc:
            log.warning("field %s ignores a datagram from %s: %s", self.port, addr, exc)
            return
        now = time.monotonic()
        with self._lock:
            presentation = self._presentation
            self._listening = None
            if presentation is None:
                if gram.brty == datagram.TYPE_A_106 and gram.frame in (REQA, WUPA):
                    self._listening = (gram.frame, addr, now)
                return
            if gram.rf_off:
                self._scheduled = None
                end = presentation.field_off()
                if end is not None:
                    self._drop(presentation, end)
                return
            if gram.brty != datagram.TYPE_A_106:
                return
            if self._scheduled is not None and gram.frame not in (b"\x26", b"\x52"):
                return  # the phone is busy answering; the reader's retries find it so
            self._scheduled = None
            try:
                reply, end = presentation.handle(gram.frame, now)
            except Exception:
                log.exception("phone %r failed on frame %s; it leaves the field",
                              presentation.app, gram.frame.hex())
                self._drop(presentation, TapEnd.PULLED_AWAY)
                return
            if end is not None:
                self._drop(presentation, end)
            elif reply is not None:
                self._scheduled = (reply, addr, presentation)

    def _answer_listening(self) -> None:
        """A phone arrived while the reader still listens for the answer to its last poll."""
        with self._lock:
            listening, presentation = self._listening, self._presentation
            if listening is None or presentation is None or self._scheduled is not None:
                return
            self._listening = None
            frame, addr, polled_at = listening
            now = time.monotonic()
            if now - polled_at > LISTEN_WINDOW:
                return
            reply, end = presentation.handle(frame, now)
            if end is not None:
                self._drop(presentation, end)
            elif reply is not None:
                self._scheduled = (reply, addr, presentation)

    def _send_due(self) -> None:
        with self._lock:
            if self._scheduled is None:
                return
            reply, addr, presentation = self._scheduled
            if reply.send_at > time.monotonic():
                return
            self._scheduled = None
            self._transmit(reply.frame, addr)
            end = presentation.session_end()
            if end is not None:
                self._drop(presentation, end)

    def _transmit(self, frame: bytes, addr: Address) -> None:
        assert self._sock is not None
        try:
            self._sock.sendto(datagram.encode(frame), addr)
        except OSError as exc:
            log.debug("field send to %s failed: %s", addr, exc)
