"""SMBus transactions become the I2C transfers the kernel's SMBus emulation emits."""

from __future__ import annotations

import errno

import pytest

from emulators.sensors.errors import TransferError
from emulators.sensors.transfer import I2CMessage
from emulators.sensors.umockdev import abi
from emulators.sensors.umockdev.smbus import needs_union, plan

R, W = abi.I2C_SMBUS_READ, abi.I2C_SMBUS_WRITE
A = 0x42


def union(*head: int) -> bytes:
    return bytes(head) + bytes(abi.I2C_SMBUS_DATA_SIZE - len(head))


def test_quick_and_byte_need_no_data_union():
    assert not needs_union(R, abi.I2C_SMBUS_QUICK)
    assert not needs_union(W, abi.I2C_SMBUS_BYTE)
    assert needs_union(R, abi.I2C_SMBUS_BYTE)
    assert plan(A, R, 0, abi.I2C_SMBUS_QUICK).messages == (I2CMessage.read(A, 0),)
    assert plan(A, W, 0, abi.I2C_SMBUS_QUICK).messages == (I2CMessage.write(A, b""),)
    assert plan(A, W, 0x09, abi.I2C_SMBUS_BYTE).messages == (I2CMessage.write(A, b"\x09"),)
    byte = plan(A, R, 0, abi.I2C_SMBUS_BYTE, union())
    assert byte.messages == (I2CMessage.read(A, 1),)
    assert byte.union_bytes([b"\x7f"]) == b"\x7f"


def test_register_reads_are_a_write_then_a_repeated_start_read():
    word = plan(A, R, 0x02, abi.I2C_SMBUS_WORD_DATA, union())
    assert word.messages == (I2CMessage.write(A, b"\x02"), I2CMessage.read(A, 2))
    assert word.union_bytes([b"\x34\x12"]) == b"\x34\x12"   # low byte first, as on the wire
    block = plan(A, R, 0x00, abi.I2C_SMBUS_I2C_BLOCK_DATA, union(5))
    assert block.messages == (I2CMessage.write(A, b"\x00"), I2CMessage.read(A, 5))
    assert block.union_bytes([b"abcde"]) == b"\x05abcde"
    broken = plan(A, R, 0x00, abi.I2C_SMBUS_I2C_BLOCK_BROKEN, union(3))
    assert broken.messages[1] == I2CMessage.read(A, abi.I2C_SMBUS_BLOCK_MAX)


def test_writes_carry_command_and_data_in_one_message():
    assert plan(A, W, 0x07, abi.I2C_SMBUS_BYTE_DATA, union(20)).messages \
        == (I2CMessage.write(A, b"\x07\x14"),)
    assert plan(A, W, 0x01, abi.I2C_SMBUS_WORD_DATA, union(0xA0, 0x60)).messages \
        == (I2CMessage.write(A, b"\x01\xa0\x60"),)
    assert plan(A, W, 0x03, abi.I2C_SMBUS_I2C_BLOCK_DATA, union(2, 8, 9)).messages \
        == (I2CMessage.write(A, b"\x03\x08\x09"),)
    assert plan(A, W, 0x03, abi.I2C_SMBUS_BLOCK_DATA, union(2, 8, 9)).messages \
        == (I2CMessage.write(A, b"\x03\x02\x08\x09"),)   # SMBus block: the count goes too
    assert plan(A, W, 0x07, abi.I2C_SMBUS_BYTE_DATA, union(20)).union_bytes([]) == b""


def test_a_process_call_sends_a_word_and_reads_one_back_either_way():
    for direction in (R, W):
        call = plan(A, direction, 0x05, abi.I2C_SMBUS_PROC_CALL, union(0x11, 0x22))
        assert call.messages == (I2CMessage.write(A, b"\x05\x11\x22"), I2CMessage.read(A, 2))
        assert call.reply == "word"


@pytest.mark.parametrize(("read_write", "size", "data", "code"), [
    (R, abi.I2C_SMBUS_BLOCK_DATA, union(), errno.EOPNOTSUPP),
    (W, abi.I2C_SMBUS_BLOCK_PROC_CALL, union(1, 0), errno.EOPNOTSUPP),
    (R, 9, union(), errno.EINVAL),
    (2, abi.I2C_SMBUS_BYTE_DATA, union(), errno.EINVAL),
    (R, abi.I2C_SMBUS_I2C_BLOCK_DATA, union(33), errno.EINVAL),
    (W, abi.I2C_SMBUS_BLOCK_DATA, union(33), errno.EINVAL),
    (R, abi.I2C_SMBUS_WORD_DATA, b"", errno.EFAULT),
])
def test_refusals_carry_the_kernels_errno(read_write, size, data, code):
    with pytest.raises(TransferError) as caught:
        plan(A, read_write, 0, size, data)
    assert caught.value.errno == code
