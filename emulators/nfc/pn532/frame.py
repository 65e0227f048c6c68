"""The PN532 host frame format (UM0701-02 §6.2): what travels over the UART, both ways.

``00 | 00 FF | LEN LCS | TFI PD0..PDn | DCS | 00`` with LCS = -LEN and DCS = -(TFI + PD)
(mod 256); an extended frame ``00 FF FF FF LENM LENL LCS`` carries up to 65535 bytes; the
ACK frame is ``00 00 FF 00 FF 00``, the NACK ``00 00 FF FF 00 00`` and the syntax error
frame ``00 00 FF 01 FF 7F 81 00``. Preamble and postamble bytes (zeros, and the HSU
wake-up ``55 55 00 00 …`` or nfcpy's long preamble of zeros) are skipped while looking for
the start code; anything else there is reported.

The decoder is a pure function of the bytes and their arrival times, so a frame cut in
half by a host that died, a corrupt checksum or a length beyond the chip's buffer is
reported with a reason and the decoder resynchronises on the next start code: one bad
frame never swallows the good one behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulators.nfc.pn532.errors import FrameEncodeError

START = b"\x00\xff"
ACK = b"\x00\x00\xff\x00\xff\x00"
NACK = b"\x00\x00\xff\xff\x00\x00"
HOST_TFI, CHIP_TFI = 0xD4, 0xD5
ERROR_TFI = 0x7F
MAX_DATA = 265           # the PN532's host command buffer: TFI + command code + 263 bytes
NORMAL_MAX = 254         # LEN 0xFF announces an extended frame, so a normal one stops here
STALE_AFTER = 0.2        # s: an unfinished frame older than this was abandoned by its writer
FILLER = b"\x00\x55"     # preamble, postamble and HSU wake-up bytes


def _checksum(data: bytes | bytearray) -> int:
    return -sum(data) & 0xFF


def encode(data: bytes) -> bytes:
    """One information frame carrying ``data`` (TFI first), normal or extended by length."""
    if not data:
        raise FrameEncodeError("a PN532 information frame carries at least its TFI byte")
    if len(data) > 0xFFFF:
        raise FrameEncodeError(f"{len(data)} bytes do not fit an extended PN532 frame "
                               "(at most 65535)")
    if len(data) <= NORMAL_MAX:
        head = START + bytes([len(data), _checksum(bytes([len(data)]))])
    else:
        size = len(data).to_bytes(2, "big")
        head = START + b"\xff\xff" + size + bytes([_checksum(size)])
    return b"\x00" + head + data + bytes([_checksum(data), 0x00])


ERROR_FRAME = encode(bytes([ERROR_TFI]))


def response(command_code: int, payload: bytes = b"") -> bytes:
    """The chip's response frame to ``command_code`` (response code = command code + 1)."""
    return encode(bytes([CHIP_TFI, (command_code + 1) & 0xFF]) + payload)


@dataclass(frozen=True)
class Ack:
    """The host's ACK: after a response it is ignored; during a command it cancels it."""


@dataclass(frozen=True)
class Nack:
    """The host asks for the last response frame again."""


@dataclass(frozen=True)
class Frame:
    """A well-formed information frame; ``data`` is TFI and payload, checksums removed."""

    data: bytes


@dataclass(frozen=True)
class Malformed:
    """Bytes that are not a frame, with why; a real PN532 does not acknowledge them."""

    reason: str
    raw: bytes


Event = Ack | Nack | Frame | Malformed


@dataclass
class Decoder:
    """Splits the host's byte stream into frames. ``feed`` the bytes as they arrive."""

    max_data: int = MAX_DATA
    stale_after: float = STALE_AFTER
    _buf: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _last: float = field(default=0.0, init=False, repr=False)

    def feed(self, data: bytes, at: float) -> list[Event]:
        """The events completed by ``data`` (received at monotonic time ``at``)."""
        events: list[Event] = []
        if self._buf.strip(FILLER) and at - self._last > self.stale_after:
            events.append(Malformed(f"unfinished frame abandoned for {at - self._last:.3f} s "
                                    "(its writer went away?)", bytes(self._buf)))
            self._buf.clear()
        self._last = at
        self._buf += data
        while (event := self._next()) is not None:
            events.append(event)
        return events

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def _next(self) -> Event | None:
        buf = self._buf
        at = buf.find(START)
        if at < 0:
            keep = 1 if buf.endswith(b"\x00") else 0   # may be the first byte of a start code
            junk = bytes(buf[:len(buf) - keep])
            del buf[:len(buf) - keep]
            return Malformed("bytes outside any frame", junk) if junk.strip(FILLER) else None
        if buf[:at].strip(FILLER):
            junk = bytes(buf[:at])
            del buf[:at]
            return Malformed("bytes before the start code", junk)
        del buf[:at]
        if len(buf) < 4:
            return None
        code = bytes(buf[2:4])
        if code == b"\x00\xff":
            del buf[:4]
            return Ack()
        if code == b"\xff\x00":
            del buf[:4]
            return Nack()
        if code == b"\xff\xff":
            if len(buf) < 7:
                return None
            size, lcs, head = int.from_bytes(buf[4:6], "big"), buf[6], 7
            length_ok = (buf[4] + buf[5] + lcs) & 0xFF == 0
        else:
            size, lcs, head = buf[2], buf[3], 4
            length_ok = (size + lcs) & 0xFF == 0
        if not length_ok:
            return self._resync("length checksum (LCS) is wrong", head)
        if size == 0:
            return self._resync("LEN is 0: a frame carries at least its TFI", head)
        if size > self.max_data:
            return self._resync(f"LEN {size} exceeds the PN532's {self.max_data}-byte buffer",
                                head)
        if len(buf) < head + size + 1:
            return None
        data = bytes(buf[head:head + size])
        if (sum(data) + buf[head + size]) & 0xFF:
            return self._resync("data checksum (DCS) is wrong", head + size + 1)
        del buf[:head + size + 1]
        return Frame(data)

    def _resync(self, reason: str, shown: int) -> Malformed:
        """Report the frame at the buffer's start and skip only its start code: a real
        frame may begin inside the bytes a corrupt header claimed."""
        raw = bytes(self._buf[:shown])
        del self._buf[:len(START)]
        return Malformed(reason, raw)
