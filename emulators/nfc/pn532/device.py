"""An emulated PN532 breakout on a UART: a pty the host opens as ``/dev/NAME``, the chip's
firmware in a thread behind it, and its antenna bridged to a card side over udp.

The host (nfcpy's ``tty`` transport and ``pn532`` driver, unmodified) writes command
frames; the chip acknowledges each at once, runs it, and writes the response, as the chip
does over HSU. Malformed input is reported (``stats.rejected``, the log) and answered as
the chip answers it: no ACK for a frame that fails its checksums, the syntax error frame
for a command it cannot run. Nothing the host sends stops the chip's thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from emulators.brewboard.pty_link import PtyLink
from emulators.nfc.pn532.chip import SENSE_WINDOW, Pn532Chip
from emulators.nfc.pn532.devnode import DEV, DeviceNode
from emulators.nfc.pn532.errors import ChipStartError, CommandAborted, InvalidCommand
from emulators.nfc.pn532.frame import (
    ACK,
    ERROR_FRAME,
    HOST_TFI,
    Ack,
    Decoder,
    Frame,
    Malformed,
    Nack,
    encode,
)
from emulators.nfc.pn532.udp_bridge import Address, FieldBridge
from emulators.ready import ready
from emulators.realtime import answer_promptly, serve_in_time

log = logging.getLogger(__name__)

REJECTIONS_KEPT = 50


@dataclass
class LineStats:
    """What crossed the UART; ``rejected`` keeps the latest reasons for bad input."""

    frames: int = 0          # well-formed information frames from the host
    acks: int = 0            # ACK frames from the host (after a response, or a cancel)
    nacks: int = 0           # NACK frames: the last response was sent again
    aborted: int = 0         # commands cancelled while waiting on the RF side
    refused: int = 0         # commands answered with the syntax error frame
    rejected: deque[str] = field(default_factory=lambda: deque(maxlen=REJECTIONS_KEPT))


class EmulatedPn532:
    """``start()`` makes the pty, the ``/dev`` link and the chip thread; ``close()`` undoes
    all three. ``device_path`` is what goes into nfcpy (``tty:NAME:pn532``)."""

    def __init__(self, card: Address, sense_window: float = SENSE_WINDOW,
                 dev: Path = DEV) -> None:
        self.card = card
        self.sense_window = sense_window
        self.dev = dev
        self.stats = LineStats()
        self._chip: Pn532Chip | None = None
        self._pty: PtyLink | None = None
        self._node: DeviceNode | None = None
        self._wake_r = self._wake_w = -1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._decoder = Decoder()
        self._last_response: bytes | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> EmulatedPn532:
        if self._thread is not None:
            raise ChipStartError("the PN532 is already started")
        link = FieldBridge(self.card)
        try:
            chip = Pn532Chip(link, self.sense_window)
            try:
                self._pty = PtyLink()
            except OSError as exc:
                raise ChipStartError(f"cannot open a pseudo-terminal for the PN532: {exc}") \
                    from exc
            self._node = DeviceNode.create(self._pty.port, self.dev)
        except BaseException:
            link.close()
            self._close_line()
            raise
        self._chip = chip
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._stopping, self._decoder, self._last_response = False, Decoder(), None
        answer_promptly()
        self._thread = threading.Thread(target=self._run, name=f"pn532:{self._node.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread (cancelling a command waiting on RF), switch the field off, and
        remove the link and the pty; idempotent."""
        thread, self._stopping = self._thread, True
        if thread is not None:
            self._wake()
            thread.join(timeout=5)
        chip, self._chip, self._thread = self._chip, None, None
        if chip is not None:
            with contextlib.suppress(Exception):
                chip.field_off()
            chip.link.close()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
        self._close_line()

    def __enter__(self) -> EmulatedPn532:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _close_line(self) -> None:
        node, self._node = self._node, None
        pty, self._pty = self._pty, None
        try:
            if node is not None:
                node.remove()
        finally:
            if pty is not None:
                pty.close()

    # -- what the rig reads ----------------------------------------------------------------

    @property
    def chip(self) -> Pn532Chip:
        if self._chip is None:
            raise ChipStartError("the PN532 is not started")
        return self._chip

    @property
    def node(self) -> DeviceNode:
        if self._node is None:
            raise ChipStartError("the PN532 is not started")
        return self._node

    @property
    def device_path(self) -> str:
        """nfcpy's device path, ``tty:NAME:pn532``."""
        return self.node.device_path

    @property
    def port(self) -> str:
        """``/dev/NAME``, the link nfcpy opens."""
        return str(self.node.path)

    @property
    def pts(self) -> str:
        """The pty the link points at, ``/dev/pts/N``."""
        return self.node.target

    # -- the chip's thread -----------------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")

    def _run(self) -> None:
        pty, wake = self._pty, self._wake_r
        assert pty is not None
        serve_in_time()
        while not self._stopping:
            writers = [pty.fileno()] if pty.backlog else []
            readable, writable = ready([pty.fileno(), wake], writers)
            if wake in readable:
                with contextlib.suppress(OSError):
                    os.read(wake, 64)
                continue
            try:
                if writable:
                    pty.flush()
                if pty.fileno() in readable:
                    self._receive(pty.read())
            except OSError as exc:   # the line itself failed: say so, do not spin
                log.warning("PN532 %s: serial line error: %s", self.port, exc)
                time.sleep(0.05)
            except Exception:        # a bug must not take the chip off the line
                log.exception("PN532 %s: unexpected error; the chip keeps running", self.port)

    def _receive(self, data: bytes) -> None:
        for event in self._decoder.feed(data, time.monotonic()):
            if isinstance(event, Frame):
                self.stats.frames += 1
                self._on_frame(event.data)
            elif isinstance(event, Ack):
                self.stats.acks += 1
            elif isinstance(event, Nack):
                self.stats.nacks += 1
                if self._last_response is not None:
                    self._send(self._last_response)
            elif isinstance(event, Malformed):
                self._reject(event)

    def _on_frame(self, data: bytes) -> None:
        assert self._pty is not None
        self._send(ACK)
        if data[0] != HOST_TFI:
            self._refuse(data, f"TFI 0x{data[0]:02X} is not a host command frame (0xD4)")
            return
        try:
            answer = self.chip.execute(data[1:], abort=(self._pty.fileno(), self._wake_r))
        except CommandAborted as exc:
            self.stats.aborted += 1
            log.debug("PN532 %s: %s", self.port, exc)
            return
        except InvalidCommand as exc:
            self._refuse(data, str(exc))
            return
        self._last_response = encode(answer)
        self._send(self._last_response)

    def _refuse(self, data: bytes, reason: str) -> None:
        self.stats.refused += 1
        self.stats.rejected.append(f"refused {data[:8].hex()}: {reason}")
        log.warning("PN532 %s answers the syntax error frame to %s: %s", self.port,
                    data[:16].hex(), reason)
        self._last_response = ERROR_FRAME
        self._send(ERROR_FRAME)

    def _reject(self, event: Malformed) -> None:
        self.stats.rejected.append(f"ignored {event.raw[:16].hex()}: {event.reason}")
        log.warning("PN532 %s ignores %d bytes from the host (no ACK, as the chip): %s; "
                    "starts with %s", self.port, len(event.raw), event.reason,
                    event.raw[:16].hex())

    def _send(self, frame: bytes) -> None:
        assert self._pty is not None
        self._pty.write(frame)
