"""Driver of the machine's status MCU (register map in ``docs/sensors.md``).

The whole register file is read in one block transfer, so every field comes from the same
main-loop pass of the MCU. WHO_AM_I is checked on every read: another chip answering at the
address is reported as the status MCU missing (ENODEV), not as garbage levels.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.sensors.bus import I2CBus
from firmware.sensors.errors import ChipIdentityError, TransferArgumentError

WHO_AM_I = 0x00
GROUNDS_LIMIT = 0x07
SELECTED_PRODUCT = 0x0A
REGISTER_COUNT = 12
WHO_AM_I_VALUE = 0xC5

STATUS_DOOR_OPEN = 0x01
STATUS_GROUNDS_FULL = 0x02

FAULT_WATER_SENSOR = 0x01
FAULT_BEANS_SENSOR = 0x02
FAULT_GROUNDS_SENSOR = 0x04
FAULT_DOOR_SWITCH = 0x08


@dataclass(frozen=True)
class StatusReading:
    firmware_version: tuple[int, int]
    door_open: bool
    grounds_full: bool
    water_pct: int
    beans_pct: int
    grounds_count: int
    grounds_limit: int
    fault_flags: int
    heartbeat: int
    selected_product: int | None
    """Product id chosen on the panel; None when no button was pressed."""


class StatusMCU:
    def __init__(self, bus: I2CBus, address: int = 0x42) -> None:
        self.bus = bus
        self.address = address

    def read(self) -> StatusReading:
        regs = self.bus.read_i2c_block_data(self.address, WHO_AM_I, REGISTER_COUNT)
        if regs[0] != WHO_AM_I_VALUE:
            raise ChipIdentityError(
                f"chip at 0x{self.address:02x} answers WHO_AM_I 0x{regs[0]:02x}, not the "
                f"status MCU's 0x{WHO_AM_I_VALUE:02x}")
        return StatusReading(
            firmware_version=(regs[1], regs[2]),
            door_open=bool(regs[3] & STATUS_DOOR_OPEN),
            grounds_full=bool(regs[3] & STATUS_GROUNDS_FULL),
            water_pct=regs[4],
            beans_pct=regs[5],
            grounds_count=regs[6],
            grounds_limit=regs[7],
            fault_flags=regs[8],
            heartbeat=regs[9],
            selected_product=(regs[10] << 8 | regs[11]) or None,
        )

    def read_selected_product(self) -> int | None:
        """Just the panel's product choice: one short transfer, for the moment of a tap."""
        hi, lo = self.bus.read_i2c_block_data(self.address, SELECTED_PRODUCT, 2)
        return (hi << 8 | lo) or None

    def set_grounds_limit(self, pucks: int) -> None:
        """Pucks after which the MCU flags the grounds bin full (0 disables the flag)."""
        if isinstance(pucks, bool) or not isinstance(pucks, int) or not 0 <= pucks <= 0xFF:
            raise TransferArgumentError(f"grounds limit must be 0..255 pucks, got {pucks!r}")
        self.bus.write_byte_data(self.address, GROUNDS_LIMIT, pucks)
