"""The chip's antenna, as the initiator side of nfcpy's udp datagram protocol.

The emulated ``Field`` answers a reader speaking ``b"106A <hex>"`` / ``b"RFOFF"`` over
udp (``emulators/nfc/datagram.py``); nfcpy's ``udp`` driver is one such reader, this
bridge is another. So phones are presented, tapped and removed exactly as with the udp
driver, and a foreign card emulator that speaks the datagrams can sit behind the chip too.

Like nfcpy's udp driver, answers that arrive late stay queued within one RF session (the
Field counts on it: a late ISO-DEP block is what the reader takes after its R(NAK)); the
queue is dropped when the field goes off, as the udp driver drops its socket, and when a
new activation starts, so a SENS_RES that missed its window is not read as the next answer.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Sequence

from emulators.nfc import datagram
from emulators.nfc.errors import DatagramError
from emulators.nfc.pn532.errors import ChipStartError, CommandAborted
from emulators.ready import ready

log = logging.getLogger(__name__)

Address = tuple[str, int]


class FieldBridge:
    """An ``RfLink`` to the card side listening on udp ``address`` (e.g. a ``Field``)."""

    def __init__(self, address: Address) -> None:
        self.address = address
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((address[0], 0))
            sock.connect(address)
        except OSError as exc:
            sock.close()
            raise ChipStartError(f"cannot reach the card side on udp {address[0]}:"
                                 f"{address[1]}: {exc}") from exc
        self._sock: socket.socket | None = sock
        self.sent = self.received = 0

    def transceive(self, frame: bytes, timeout: float | None,
                   abort: Sequence[int] = ()) -> bytes | None:
        sock = self._open()
        self._send(sock, datagram.encode(frame))
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            readable, _ = ready([sock.fileno(), *abort], timeout=wait)
            if any(fd in readable for fd in abort):
                raise CommandAborted("the host wrote while the chip waited for the card")
            if not readable:
                return None
            answer = self._receive(sock)
            if answer is not None:
                return answer

    def field_off(self) -> None:
        sock = self._open()
        self._send(sock, datagram.RFOFF)
        self._drain(sock)

    def flush(self) -> None:
        self._drain(self._open())

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _open(self) -> socket.socket:
        if self._sock is None:
            raise ChipStartError("the chip's udp bridge is closed")
        return self._sock

    def _send(self, sock: socket.socket, raw: bytes) -> None:
        try:
            sock.send(raw)
            self.sent += 1
        except OSError as exc:   # the card side is gone: on the air that is silence
            log.debug("bridge to %s: send failed: %s", self.address, exc)

    def _receive(self, sock: socket.socket) -> bytes | None:
        try:
            raw = sock.recv(4096)
        except OSError as exc:   # ICMP port unreachable from a card side that went away
            log.debug("bridge to %s: receive failed: %s", self.address, exc)
            return None
        try:
            gram = datagram.decode(raw)
        except DatagramError as exc:
            log.warning("bridge to %s ignores a datagram: %s", self.address, exc)
            return None
        if gram.rf_off or gram.brty != datagram.TYPE_A_106:
            return None
        self.received += 1
        return gram.frame

    def _drain(self, sock: socket.socket) -> None:
        while ready([sock], timeout=0)[0]:
            try:
                sock.recv(4096)
            except OSError:
                return
