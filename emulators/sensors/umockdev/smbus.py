"""SMBus transactions as the kernel emulates them on a pure-I2C adapter.

``I2C_SMBUS`` on an adapter without native SMBus support (the Raspberry Pi's, the rig's
emulated bus) becomes one combined I2C transfer (``i2c_smbus_xfer_emulated`` in
drivers/i2c/i2c-core-smbus.c): a write of the command byte and data, and for reads a
repeated-START read. This module builds those messages and the bytes the kernel copies back
into the caller's ``union i2c_smbus_data``. Refusals carry the kernel's errno.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from dataclasses import dataclass

from emulators.sensors.errors import TransferError
from emulators.sensors.transfer import I2CMessage
from emulators.sensors.umockdev.abi import (
    I2C_SMBUS_BLOCK_DATA,
    I2C_SMBUS_BLOCK_MAX,
    I2C_SMBUS_BLOCK_PROC_CALL,
    I2C_SMBUS_BYTE,
    I2C_SMBUS_BYTE_DATA,
    I2C_SMBUS_I2C_BLOCK_BROKEN,
    I2C_SMBUS_I2C_BLOCK_DATA,
    I2C_SMBUS_PROC_CALL,
    I2C_SMBUS_QUICK,
    I2C_SMBUS_READ,
    I2C_SMBUS_WORD_DATA,
    I2C_SMBUS_WRITE,
)

SIZE_NAMES = {
    I2C_SMBUS_QUICK: "quick", I2C_SMBUS_BYTE: "byte", I2C_SMBUS_BYTE_DATA: "byte data",
    I2C_SMBUS_WORD_DATA: "word data", I2C_SMBUS_PROC_CALL: "process call",
    I2C_SMBUS_BLOCK_DATA: "block data", I2C_SMBUS_I2C_BLOCK_BROKEN: "i2c block (broken)",
    I2C_SMBUS_BLOCK_PROC_CALL: "block process call",
    I2C_SMBUS_I2C_BLOCK_DATA: "i2c block data",
}


@dataclass(frozen=True)
class SmbusTransfer:
    """The I2C messages of one SMBus transaction, and how its answer goes back."""

    messages: tuple[I2CMessage, ...]
    reply: str | None = None
    """None (nothing to copy back), ``"byte"``, ``"word"`` or ``"block"``."""

    def union_bytes(self, reads: Sequence[bytes]) -> bytes:
        """What the kernel copies back to the start of ``union i2c_smbus_data``; empty for
        a write."""
        if self.reply is None:
            return b""
        data = reads[-1]
        if self.reply == "block":
            return bytes([len(data)]) + data
        return data  # byte: data[0]; word: low byte first, as SMBus sends it


def needs_union(read_write: int, size: int) -> bool:
    """Whether the kernel reads ``data`` for this transaction (it refuses NULL otherwise)."""
    return not (size == I2C_SMBUS_QUICK
                or (size == I2C_SMBUS_BYTE and read_write == I2C_SMBUS_WRITE))


def plan(addr: int, read_write: int, command: int, size: int,
         union: bytes = b"") -> SmbusTransfer:
    """The transfer for ``I2C_SMBUS`` with these fields; ``union`` is the caller's
    ``i2c_smbus_data`` (needed where :func:`needs_union` says so)."""
    what = f"SMBus {SIZE_NAMES.get(size, f'size {size}')} to 0x{addr:02x}"
    if read_write not in (I2C_SMBUS_READ, I2C_SMBUS_WRITE):
        raise TransferError(errno.EINVAL, f"{what}: read_write {read_write} is neither "
                                          f"read (1) nor write (0)")
    if size not in SIZE_NAMES:
        raise TransferError(errno.EINVAL, f"{what}: unknown transaction size")
    if not 0 <= addr <= 0x7F:
        raise TransferError(errno.EINVAL, f"{what}: not a 7-bit address")
    read = read_write == I2C_SMBUS_READ
    if size == I2C_SMBUS_I2C_BLOCK_BROKEN:   # i2c-dev turns it into a 32-byte block
        size = I2C_SMBUS_I2C_BLOCK_DATA
        if read:
            union = bytes([I2C_SMBUS_BLOCK_MAX]) + union[1:]
    if size == I2C_SMBUS_QUICK:
        msg = I2CMessage.read(addr, 0) if read else I2CMessage.write(addr, b"")
        return SmbusTransfer((msg,))
    if size == I2C_SMBUS_BYTE:
        if read:
            return SmbusTransfer((I2CMessage.read(addr, 1),), "byte")
        return SmbusTransfer((I2CMessage.write(addr, bytes([command])),))
    if size in (I2C_SMBUS_BLOCK_PROC_CALL, I2C_SMBUS_BLOCK_DATA) and (
            read or size == I2C_SMBUS_BLOCK_PROC_CALL):
        raise TransferError(errno.EOPNOTSUPP,
                            f"{what}: SMBus block reads need I2C_M_RECV_LEN, which this "
                            f"adapter (like the Raspberry Pi's) lacks; I2C_FUNCS does not "
                            f"offer them")
    if len(union) < 1 + I2C_SMBUS_BLOCK_MAX:
        raise TransferError(errno.EFAULT, f"{what}: no i2c_smbus_data to work on")
    head = I2CMessage.write(addr, bytes([command]))
    if size == I2C_SMBUS_BYTE_DATA:
        if read:
            return SmbusTransfer((head, I2CMessage.read(addr, 1)), "byte")
        return SmbusTransfer((I2CMessage.write(addr, bytes([command, union[0]])),))
    if size == I2C_SMBUS_WORD_DATA:
        if read:
            return SmbusTransfer((head, I2CMessage.read(addr, 2)), "word")
        return SmbusTransfer((I2CMessage.write(addr, bytes([command, union[0], union[1]])),))
    if size == I2C_SMBUS_PROC_CALL:   # a word out, a word back, whatever read_write says
        out = I2CMessage.write(addr, bytes([command, union[0], union[1]]))
        return SmbusTransfer((out, I2CMessage.read(addr, 2)), "word")
    count = union[0]
    if count > I2C_SMBUS_BLOCK_MAX:
        raise TransferError(errno.EINVAL, f"{what}: block length {count} exceeds "
                                          f"{I2C_SMBUS_BLOCK_MAX}")
    if size == I2C_SMBUS_BLOCK_DATA:   # a write: command, count, data
        return SmbusTransfer((I2CMessage.write(addr, bytes([command, count])
                                               + union[1:1 + count]),))
    if read:   # i2c block data
        return SmbusTransfer((head, I2CMessage.read(addr, count)), "block")
    return SmbusTransfer((I2CMessage.write(addr, bytes([command]) + union[1:1 + count]),))
