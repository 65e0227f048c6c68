"""The i2c-dev ioctl interface as the kernel defines it (linux/i2c-dev.h, linux/i2c.h).

Structures are laid out by ctypes for this machine's ABI, which is the client's: the firmware
runs on the same host as the rig, under umockdev's preload library.
"""

from __future__ import annotations

import ctypes

I2C_RETRIES = 0x0701
I2C_TIMEOUT = 0x0702
I2C_SLAVE = 0x0703
I2C_TENBIT = 0x0704
I2C_FUNCS = 0x0705
I2C_SLAVE_FORCE = 0x0706
I2C_RDWR = 0x0707
I2C_PEC = 0x0708
I2C_SMBUS = 0x0720

REQUEST_NAMES = {
    I2C_RETRIES: "I2C_RETRIES", I2C_TIMEOUT: "I2C_TIMEOUT", I2C_SLAVE: "I2C_SLAVE",
    I2C_TENBIT: "I2C_TENBIT", I2C_FUNCS: "I2C_FUNCS", I2C_SLAVE_FORCE: "I2C_SLAVE_FORCE",
    I2C_RDWR: "I2C_RDWR", I2C_PEC: "I2C_PEC", I2C_SMBUS: "I2C_SMBUS",
}

I2C_RDWR_IOCTL_MAX_MSGS = 42
I2C_M_RD = 0x0001

I2C_SMBUS_WRITE = 0
I2C_SMBUS_READ = 1

I2C_SMBUS_QUICK = 0
I2C_SMBUS_BYTE = 1
I2C_SMBUS_BYTE_DATA = 2
I2C_SMBUS_WORD_DATA = 3
I2C_SMBUS_PROC_CALL = 4
I2C_SMBUS_BLOCK_DATA = 5
I2C_SMBUS_I2C_BLOCK_BROKEN = 6
I2C_SMBUS_BLOCK_PROC_CALL = 7
I2C_SMBUS_I2C_BLOCK_DATA = 8
I2C_SMBUS_BLOCK_MAX = 32
I2C_SMBUS_DATA_SIZE = I2C_SMBUS_BLOCK_MAX + 2
"""``union i2c_smbus_data``: a byte, a word, or a block (length byte, 32 bytes, PEC room)."""

I2C_FUNC_I2C = 0x00000001
I2C_FUNC_SMBUS_QUICK = 0x00010000
I2C_FUNC_SMBUS_READ_BYTE = 0x00020000
I2C_FUNC_SMBUS_WRITE_BYTE = 0x00040000
I2C_FUNC_SMBUS_READ_BYTE_DATA = 0x00080000
I2C_FUNC_SMBUS_WRITE_BYTE_DATA = 0x00100000
I2C_FUNC_SMBUS_READ_WORD_DATA = 0x00200000
I2C_FUNC_SMBUS_WRITE_WORD_DATA = 0x00400000
I2C_FUNC_SMBUS_PROC_CALL = 0x00800000
I2C_FUNC_SMBUS_WRITE_BLOCK_DATA = 0x02000000
I2C_FUNC_SMBUS_READ_I2C_BLOCK = 0x04000000
I2C_FUNC_SMBUS_WRITE_I2C_BLOCK = 0x08000000

FUNCS = (I2C_FUNC_I2C | I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_READ_BYTE
         | I2C_FUNC_SMBUS_WRITE_BYTE | I2C_FUNC_SMBUS_READ_BYTE_DATA
         | I2C_FUNC_SMBUS_WRITE_BYTE_DATA | I2C_FUNC_SMBUS_READ_WORD_DATA
         | I2C_FUNC_SMBUS_WRITE_WORD_DATA | I2C_FUNC_SMBUS_PROC_CALL
         | I2C_FUNC_SMBUS_WRITE_BLOCK_DATA | I2C_FUNC_SMBUS_READ_I2C_BLOCK
         | I2C_FUNC_SMBUS_WRITE_I2C_BLOCK)
"""What a pure-I2C adapter such as the Raspberry Pi's offers through the kernel's SMBus
emulation (I2C_FUNC_SMBUS_EMUL), without PEC: no SMBus block reads (they need
I2C_M_RECV_LEN) and no 10-bit addresses."""


class I2CMsg(ctypes.Structure):
    """``struct i2c_msg``."""

    _fields_ = [("addr", ctypes.c_uint16), ("flags", ctypes.c_uint16),
                ("len", ctypes.c_uint16), ("buf", ctypes.c_void_p)]


class I2CRdwrIoctlData(ctypes.Structure):
    """``struct i2c_rdwr_ioctl_data``, the argument of I2C_RDWR."""

    _fields_ = [("msgs", ctypes.c_void_p), ("nmsgs", ctypes.c_uint32)]


class I2CSmbusIoctlData(ctypes.Structure):
    """``struct i2c_smbus_ioctl_data``, the argument of I2C_SMBUS."""

    _fields_ = [("read_write", ctypes.c_uint8), ("command", ctypes.c_uint8),
                ("size", ctypes.c_uint32), ("data", ctypes.c_void_p)]


ULONG_SIZE = ctypes.sizeof(ctypes.c_ulong)
MSG_SIZE = ctypes.sizeof(I2CMsg)
MSG_BUF_OFFSET: int = I2CMsg.buf.offset
RDWR_SIZE = ctypes.sizeof(I2CRdwrIoctlData)
RDWR_MSGS_OFFSET: int = I2CRdwrIoctlData.msgs.offset
SMBUS_SIZE = ctypes.sizeof(I2CSmbusIoctlData)
SMBUS_DATA_OFFSET: int = I2CSmbusIoctlData.data.offset
