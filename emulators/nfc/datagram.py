"""nfcpy udp.py's datagram format: ``b"106A 9320"`` carries one frame, ``b"RFOFF"`` field off.

Frames carry no CRC: the udp driver models an error-free air interface.
"""

from __future__ import annotations

from binascii import Error as HexError
from dataclasses import dataclass

from emulators.nfc.errors import DatagramError

RFOFF = b"RFOFF"
TYPE_A_106 = "106A"


@dataclass(frozen=True)
class Datagram:
    """One received datagram: a frame at a bit rate/technology, or the field going off."""

    brty: str
    frame: bytes
    rf_off: bool = False


def decode(raw: bytes) -> Datagram:
    if raw.startswith(RFOFF):
        return Datagram(brty="", frame=b"", rf_off=True)
    parts = raw.split()
    if len(parts) != 2:
        raise DatagramError(f"expected b'<brty> <hex>' or b'RFOFF', got {raw[:40]!r}")
    brty, payload = parts
    try:
        return Datagram(brty=brty.decode("ascii"), frame=bytes.fromhex(payload.decode("ascii")))
    except (UnicodeDecodeError, ValueError, HexError) as exc:
        raise DatagramError(f"undecodable datagram {raw[:40]!r}: {exc}") from exc


def encode(frame: bytes, brty: str = TYPE_A_106) -> bytes:
    return f"{brty} {frame.hex()}".encode("ascii")
