"""What the PN532's firmware does on InListPassiveTarget at 106 kbit/s Type A: REQA, then
the ISO/IEC 14443-3 anticollision / select cascade, optionally RATS.

Frames carry no CRC (the udp air is error-free), so a card's answers are checked for
length and BCC only. A card that stops answering half-way is "not found", exactly as the
chip reports a card that left during activation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import xor

REQA = b"\x26"
SEL_COMMANDS = (0x93, 0x95, 0x97)
CASCADE_TAG = 0x88
SEL_RES_CASCADE = 0x04       # UID not complete: go on at the next cascade level
SEL_RES_ISO_DEP = 0x20
RATS = b"\xe0\x80"           # FSDI 8 (256 bytes), CID 0

# One exchange on the air: (frame, timeout) -> answer or None.
Transceive = Callable[[bytes, float], bytes | None]


@dataclass(frozen=True)
class PassiveTarget:
    """One activated Type A card, as InListPassiveTarget reports it."""

    sens_res: bytes          # ATQA in air order (LSB first)
    sel_res: int             # SAK
    uid: bytes               # NFCID1 without cascade tags: 4, 7 or 10 bytes
    ats: bytes = b""         # with the chip's automatic RATS only

    def report(self, number: int) -> bytes:
        """``Tg SENS_RES SEL_RES NFCIDLength NFCID1 [ATS]`` (SENS_RES MSB first, as the
        PN532 prints it; nfcpy turns it round)."""
        return (bytes([number]) + self.sens_res[::-1] + bytes([self.sel_res, len(self.uid)])
                + self.uid + self.ats)


def _bcc(data: bytes) -> int:
    return reduce(xor, data, 0)


def _levels(uid: bytes) -> list[bytes]:
    """A UID hint as the host sends it (cascade tags included) split per cascade level."""
    return [uid[i:i + 4] for i in range(0, len(uid), 4)]


def activate_type_a(transceive: Transceive, window: float, uid_hint: Sequence[int] = b"",
                    auto_rats: bool = False) -> PassiveTarget | None:
    """Wake and select one card; None if the field is empty or the card fell silent.

    ``window``: how long each answer is waited for. ``uid_hint``: select this UID directly
    (InListPassiveTarget's InitiatorData, cascade tags included) instead of anticollision.
    """
    sens_res = transceive(REQA, window)
    if sens_res is None or len(sens_res) != 2:
        return None
    uid = b""
    sel_res = 0
    hint = _levels(bytes(uid_hint)) if uid_hint else []
    for level, command in enumerate(SEL_COMMANDS):
        if hint:
            if level >= len(hint) or len(hint[level]) != 4:
                return None
            part = hint[level] + bytes([_bcc(hint[level])])
        else:
            answer = transceive(bytes([command, 0x20]), window)
            if answer is None or len(answer) != 5 or _bcc(answer[:4]) != answer[4]:
                return None
            part = answer
        answer = transceive(bytes([command, 0x70]) + part, window)
        if answer is None or len(answer) != 1:
            return None
        sel_res = answer[0]
        if sel_res & SEL_RES_CASCADE:
            if part[0] != CASCADE_TAG:
                return None
            uid += part[1:4]
            continue
        uid += part[:4]
        break
    else:
        return None
    ats = b""
    if auto_rats and sel_res & SEL_RES_ISO_DEP:
        ats = transceive(RATS, window) or b""
        if not ats:
            return None
    return PassiveTarget(sens_res, sel_res, uid, ats)
