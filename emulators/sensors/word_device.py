"""Chips addressed through a pointer register that selects 16-bit registers sent MSB first.

Both TMP102 and INA219 work this way: a write's first byte sets the pointer, the next two
bytes (MSB, LSB) are written to the selected register; a read returns the selected register
MSB first and keeps repeating it. The pointer survives between transactions, so a read
without a preceding pointer write reads the last selected register, as on the chips.
"""

from __future__ import annotations

from abc import abstractmethod

from emulators.sensors.device import I2CDevice
from emulators.sensors.errors import DataNack


class WordRegisterDevice(I2CDevice):
    """Pointer-register semantics shared by the TMP102 and INA219 models."""

    def __init__(self) -> None:
        super().__init__()
        self._pointer = 0

    @property
    def pointer(self) -> int:
        with self.lock:
            return self._pointer

    def register(self, pointer: int) -> int:
        """Current raw 16-bit value of a register, without the side effects of a bus read."""
        with self.lock:
            if not self._is_register(pointer):
                raise ValueError(f"{self.model}: 0x{pointer:02x} is not a register")
            return self._read_register(pointer)

    def write(self, data: bytes) -> None:
        if not data:
            return  # address-only write (SMBus quick): ACK and nothing else
        pointer = data[0]
        if not self._is_register(pointer):
            raise DataNack(f"{self.model}: pointer byte 0x{pointer:02x} selects no register")
        self._pointer = pointer
        # The register is written only once both bytes arrived; bytes past the word are
        # ACKed and ignored, a lone MSB is dropped.
        if len(data) >= 3:
            self._write_register(pointer, (data[1] << 8) | data[2])

    def read(self, length: int) -> bytes:
        if length == 0:
            return b""
        value = self._read_register(self._pointer)
        word = (value >> 8 & 0xFF, value & 0xFF)
        out = bytes(word[i % 2] for i in range(length))
        self._after_read(self._pointer)
        return out

    def _reset_registers(self) -> None:
        self._pointer = 0

    def _after_read(self, pointer: int) -> None:
        """A register was read over the bus (INA219 clears CNVR on a power read)."""

    @abstractmethod
    def _is_register(self, pointer: int) -> bool: ...

    @abstractmethod
    def _read_register(self, pointer: int) -> int: ...

    @abstractmethod
    def _write_register(self, pointer: int, value: int) -> None:
        """Store a written word; read-only registers ignore it, as the chips do."""
