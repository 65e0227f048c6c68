"""ISO/IEC 14443-3 Type A anticollision answers of one card (a phone in card emulation)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import reduce
from operator import xor

CASCADE_TAG = 0x88
SEL_RES_CASCADE = 0x04
SEL_RES_ISO_DEP = 0x20
SEL_COMMANDS = (0x93, 0x95, 0x97)
REQA, WUPA = b"\x26", b"\x52"
HLTA = b"\x50\x00"


def _bcc(data: bytes) -> int:
    return reduce(xor, data, 0)


@dataclass(frozen=True)
class TypeAIdentity:
    """UID and select answers of a Type A card that supports ISO-DEP (SEL_RES 0x20)."""

    uid: bytes
    sel_res: int = SEL_RES_ISO_DEP

    def __post_init__(self) -> None:
        if len(self.uid) not in (4, 7):
            raise ValueError(f"a Type A UID is 4 or 7 bytes here, got {len(self.uid)}")
        if self.uid[0] == CASCADE_TAG:
            raise ValueError("a UID must not start with the cascade tag 0x88")

    @classmethod
    def random(cls, rng: random.Random) -> TypeAIdentity:
        """A fresh UID as phones draw one per tap: 4-byte random ID (08 xx xx xx) or 7 bytes."""
        if rng.random() < 0.5:
            return cls(bytes([0x08]) + rng.randbytes(3))
        first = rng.choice([b for b in range(256) if b not in (CASCADE_TAG, 0x08)])
        return cls(bytes([first]) + rng.randbytes(6))

    @property
    def sens_res(self) -> bytes:
        """SENS_RES (ATQA): UID size in bits 7-8, bit frame anticollision bit set (≠ T1T)."""
        size_bits = 0x00 if len(self.uid) == 4 else 0x40
        return bytes([size_bits | 0x04, 0x00])

    def levels(self) -> list[bytes]:
        """The UID part answered at each cascade level, without BCC."""
        if len(self.uid) == 4:
            return [self.uid]
        return [bytes([CASCADE_TAG]) + self.uid[:3], self.uid[3:]]

    def answer(self, frame: bytes) -> tuple[bytes, bool] | None:
        """(response, selected) for an SDD_REQ or SEL_REQ; None if the frame is not for us."""
        if len(frame) < 2 or frame[0] not in SEL_COMMANDS:
            return None
        level = SEL_COMMANDS.index(frame[0])
        levels = self.levels()
        if level >= len(levels):
            return None
        part = levels[level] + bytes([_bcc(levels[level])])
        if frame[1] == 0x20 and len(frame) == 2:
            return part, False
        if frame[1] == 0x70 and frame[2:] == part:
            last = level == len(levels) - 1
            return bytes([self.sel_res if last else SEL_RES_CASCADE]), last
        return None
