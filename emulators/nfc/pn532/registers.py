"""The registers ReadRegister / WriteRegister reach: the CIU (a PN512 inside the PN532) and
the rest of the chip's XRAM, as plain memory with the few behaviours a host relies on.

nfcpy reads and rewrites CIU_TxMode / RxMode / TxAuto before each exchange, and after an
InListPassiveTarget that found nothing reads CIU_FIFOData: 0x26 (the REQA still in the
FIFO) means no card answered. So the FIFO holds the last frame the chip sent over RF, or
the last one it received, and CIU_TxControl's low bits show whether the RF field is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CIU_TX_CONTROL = 0x6304
CIU_FIFO_DATA = 0x6339
CIU_FIFO_LEVEL = 0x633A
FIFO_SIZE = 64
FLUSH_BUFFER = 0x80           # CIU_FIFOLevel bit 7 (write): empty the FIFO
TX_RF_ENABLE = 0x03           # CIU_TxControl Tx1RFEn | Tx2RFEn

RESET_VALUES: dict[int, int] = {
    0x6301: 0x3B,   # CIU_Mode
    0x6302: 0x00,   # CIU_TxMode
    0x6303: 0x00,   # CIU_RxMode
    0x6304: 0x80,   # CIU_TxControl (InvTx2RFOn)
    0x6305: 0x00,   # CIU_TxAuto
    0x6327: 0x80,   # CIU_Version
}


@dataclass
class Registers:
    """Register memory; ``rf_on`` is the chip's field state, reflected in CIU_TxControl."""

    rf_on: bool = False
    fifo: bytearray = field(default_factory=bytearray)
    _memory: dict[int, int] = field(default_factory=lambda: dict(RESET_VALUES))

    def read(self, address: int) -> int:
        if address == CIU_FIFO_DATA:
            return self.fifo.pop(0) if self.fifo else 0x00
        if address == CIU_FIFO_LEVEL:
            return min(len(self.fifo), FIFO_SIZE)
        value = self._memory.get(address, 0x00)
        if address == CIU_TX_CONTROL:
            value = (value & ~TX_RF_ENABLE) | (TX_RF_ENABLE if self.rf_on else 0)
        return value

    def write(self, address: int, value: int) -> None:
        if address == CIU_FIFO_DATA:
            if len(self.fifo) < FIFO_SIZE:
                self.fifo.append(value)
            return
        if address == CIU_FIFO_LEVEL:
            if value & FLUSH_BUFFER:
                self.fifo.clear()
            return
        self._memory[address] = value

    def load_fifo(self, frame: bytes) -> None:
        """What an RF transmit or receive leaves in the FIFO (its first 64 bytes)."""
        self.fifo[:] = frame[:FIFO_SIZE]
