"""ISO/IEC 14443-4 (ISO-DEP) card side, independent of the transport.

Fed one received frame at a time with the current time, it returns the frame to send and
when to send it (later than now while the phone is still thinking). The UDP field and the
nfcpy target-mode path both drive this same engine.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from emulators.nfc.application import CardApplication

log = logging.getLogger(__name__)

FSD_TABLE = (16, 24, 32, 40, 48, 64, 96, 128, 256)
WTXM_MAX = 59
EDC_LEN = 2


@dataclass(frozen=True)
class IsoDepTiming:
    """ATS parameters. FWI 7 gives FWT ≈ 38.7 ms, the value nfcpy reads from ``05 78 80 70 02``.

    ``wtx_fraction``: the card answers or asks for more time by this fraction of the window the
    reader grants, so thread wake-up jitter never makes the reader time out.
    """

    fsci: int = 8
    fwi: int = 7
    wtx_fraction: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.fsci <= 8:
            raise ValueError(f"FSCI must be 0..8 (16..256-byte frames), got {self.fsci}")
        if not 0 <= self.fwi <= 14:
            raise ValueError(f"FWI must be 0..14, got {self.fwi}")
        if not 0 < self.wtx_fraction <= 1:
            raise ValueError(f"wtx_fraction must be in (0, 1], got {self.wtx_fraction}")

    @property
    def fwt(self) -> float:
        return 4096 / 13.56e6 * 2**self.fwi

    def ats(self) -> bytes:
        """TL, T0 (TA TB TC present, FSCI), TA (106 kbit/s only), TB (FWI, SFGI 0), TC (CID)."""
        return bytes([0x05, 0x70 | self.fsci, 0x80, self.fwi << 4, 0x02])


@dataclass(frozen=True)
class Reply:
    """A frame to transmit no earlier than ``send_at`` (a ``time.monotonic()`` value)."""

    frame: bytes
    send_at: float


@dataclass
class _Held:
    """A response held back while the phone thinks, covered by S(WTX) requests."""

    ready_at: float
    frames: list[bytes]
    granted_wtxm: int = 0


class IsoDepCard:
    """Card-side block protocol: I-blocks with block numbers, chaining, R(ACK/NAK), WTX,
    DESELECT. After ``left`` or ``deselected`` it answers nothing more; ``completed`` tells
    that the answer finishing a payment has been handed out.

    ``lossless_link``: every frame sent reaches the reader (the UDP air, unlike RF). An R-block
    repeating the number of the block already sent then only means the reader timed out before
    that block arrived; the block is on its way and the reader takes it as the answer, so a
    second copy would sit queued and break the next exchange's block numbers.
    """

    def __init__(self, app: CardApplication, timing: IsoDepTiming | None = None,
                 lossless_link: bool = False):
        self.app = app
        self.timing = timing or IsoDepTiming()
        self.lossless_link = lossless_link
        self.fsd = 256
        self.cid: int | None = None
        self.block_number = 1
        self.deselected = False
        self.left = False
        self.completed = False
        self.commands = 0
        self._rx_chain = bytearray()
        self._tx_chain: list[bytes] = []
        self._last_sent: bytes | None = None
        self._held: _Held | None = None
        self._leave_after_response = False
        self._completes = False

    @property
    def finished(self) -> bool:
        return self.deselected or self.left

    def activate(self, rats: bytes, now: float) -> Reply | None:
        """Answer RATS (``E0 <FSDI|CID>``) with the ATS."""
        if len(rats) != 2 or rats[0] != 0xE0:
            return None
        self.fsd = FSD_TABLE[min(rats[1] >> 4, 8)]
        return Reply(self.timing.ats(), now)

    def receive(self, frame: bytes, now: float) -> Reply | None:
        """The reply to one received block, or None for silence."""
        if self.finished or not frame:
            return None
        pcb = frame[0]
        body, cid = self._strip_prologue(pcb, frame)
        if body is None:
            return None
        if pcb & 0xE2 == 0x02:
            return self._on_i_block(pcb, body, cid, now)
        if pcb & 0xE6 == 0xA2:
            return self._on_r_block(pcb, cid, now)
        if pcb & 0xC7 == 0xC2:
            return self._on_s_block(pcb, cid, now)
        return None

    def _strip_prologue(self, pcb: int, frame: bytes) -> tuple[bytes | None, int | None]:
        offset, cid = 1, None
        if pcb & 0x08:
            if len(frame) < 2:
                return None, None
            cid = frame[1] & 0x0F
            offset = 2
        if pcb & 0xE2 == 0x02 and pcb & 0x04:
            offset += 1
        return frame[offset:], cid

    def _pcb(self, pcb: int, cid: int | None) -> bytes:
        return bytes([pcb | 0x08, cid]) if cid is not None else bytes([pcb])

    def _send(self, frame: bytes, at: float) -> Reply:
        self._last_sent = frame
        return Reply(frame, at)

    def _on_i_block(self, pcb: int, inf: bytes, cid: int | None, now: float) -> Reply | None:
        if self._held is not None:
            return None
        self.block_number = pcb & 0x01
        self.cid = cid
        if pcb & 0x10:
            self._rx_chain += inf
            return self._send(self._pcb(0xA2 | self.block_number, cid), now)
        apdu, self._rx_chain = bytes(self._rx_chain + inf), bytearray()
        self.commands += 1
        try:
            action = self.app.process_apdu(apdu)
        except Exception:  # a crashing app is a phone that went silent, never a dead field
            log.exception("card application %r failed on APDU %s; it leaves the field",
                          self.app, apdu.hex())
            self.left = True
            return None
        if action.response is None:
            self.left = self.left or action.leave
            return None
        self._leave_after_response, self._completes = action.leave, action.completes
        frames = self._split(action.response)
        held = _Held(ready_at=now + action.delay, frames=frames)
        if action.delay <= self.timing.wtx_fraction * self.timing.fwt:
            return self._release(held, now)
        self._held = held
        return self._wtx_request(send_at=now)

    def _split(self, response: bytes) -> list[bytes]:
        """INF pieces that fit the reader's frame size (PCB, optional CID and EDC included)."""
        room = self.fsd - 1 - EDC_LEN - (self.cid is not None)
        return [response[i:i + room] for i in range(0, len(response), room)] or [b""]

    def _release(self, held: _Held, now: float) -> Reply:
        self._held = None
        first, *rest = held.frames
        self._tx_chain = rest
        return self._send(self._i_block(first, chained=bool(rest)), max(now, held.ready_at))

    def _i_block(self, inf: bytes, chained: bool) -> bytes:
        frame = self._pcb(0x02 | (0x10 if chained else 0) | self.block_number, self.cid) + inf
        if not chained:
            self.left = self.left or self._leave_after_response
            self.completed = self.completed or self._completes
        return frame

    def _wtx_request(self, send_at: float) -> Reply:
        assert self._held is not None
        fwt = self.timing.fwt
        remaining = max(0.0, self._held.ready_at - send_at)
        wtxm = max(1, min(WTXM_MAX, math.ceil(remaining / (self.timing.wtx_fraction * fwt))))
        self._held.granted_wtxm = wtxm
        return self._send(self._pcb(0xF2, self.cid) + bytes([wtxm]), send_at)

    def _on_r_block(self, pcb: int, cid: int | None, now: float) -> Reply | None:
        if self._held is not None:
            return None
        number, nak = pcb & 0x01, bool(pcb & 0x10)
        if number == self.block_number:
            if self.lossless_link or not self._last_sent:
                return None
            return self._send(self._last_sent, now)
        if nak:
            return self._send(self._pcb(0xA2 | self.block_number, cid), now)
        if self._tx_chain:
            self.block_number = number
            inf = self._tx_chain.pop(0)
            return self._send(self._i_block(inf, chained=bool(self._tx_chain)), now)
        return None

    def _on_s_block(self, pcb: int, cid: int | None, now: float) -> Reply | None:
        if pcb & 0x30 == 0x00:
            self.deselected = True
            self._held = None
            return self._send(self._pcb(0xC2, cid), now)
        if pcb & 0x30 == 0x30 and self._held is not None:
            window = self._held.granted_wtxm * self.timing.fwt
            margin = self.timing.wtx_fraction * window
            if self._held.ready_at <= now + margin:
                return self._release(self._held, now)
            return self._wtx_request(send_at=now + margin)
        return None
