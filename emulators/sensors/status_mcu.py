"""The machine's status MCU at 0x42: level sensors, door switch, grounds bin, heartbeat.

A small microcontroller on the sensor board with an 8-bit register file (map defined in
``docs/sensors.md``). A write's first byte sets the register pointer; following bytes are
written to successive registers (read-only ones ignore them). Reads return successive
registers from the pointer, 0xFF past the last one. The pointer persists between
transactions. Pointer bytes beyond the map are NACKed.

The MCU's main loop refreshes the register file from its inputs and increments HEARTBEAT.
The emulator runs one loop pass at the start of each transaction addressed to the MCU
(the real loop runs far more often than the firmware polls), so every read sees a moved
heartbeat and a consistent snapshot. Under ``stuck`` the loop stops: registers and
heartbeat freeze and writes are not processed, while the I2C peripheral keeps answering.
"""

from __future__ import annotations

from emulators.sensors.device import I2CDevice
from emulators.sensors.errors import DataNack, InvalidValueError
from emulators.sensors.registry import register_model
from emulators.sensors.values import byte

WHO_AM_I = 0x00
FW_MAJOR = 0x01
FW_MINOR = 0x02
STATUS = 0x03
WATER_LEVEL = 0x04
BEANS_LEVEL = 0x05
GROUNDS_COUNT = 0x06
GROUNDS_LIMIT = 0x07
FAULT_FLAGS = 0x08
HEARTBEAT = 0x09
PRODUCT_HI = 0x0A
PRODUCT_LO = 0x0B
REGISTER_COUNT = 12

WHO_AM_I_VALUE = 0xC5
FIRMWARE_VERSION = (1, 4)
GROUNDS_LIMIT_POWER_ON = 12

STATUS_DOOR_OPEN = 0x01
STATUS_GROUNDS_FULL = 0x02

FAULT_WATER_SENSOR = 0x01
FAULT_BEANS_SENSOR = 0x02
FAULT_GROUNDS_SENSOR = 0x04
FAULT_DOOR_SWITCH = 0x08
_FAULT_MASK = 0x0F


@register_model
class StatusMCU(I2CDevice):
    """Status MCU. Script levels, door and grounds with the ``set_*`` methods."""

    model = "status_mcu"
    default_address = 0x42
    OUT_OF_RANGE_LEVEL = 0xFF
    """WATER_LEVEL presented under ``out_of_range``: 255 %, physically impossible."""

    def __init__(self, *, water_pct: int = 100, beans_pct: int = 100, grounds_count: int = 0,
                 door_open: bool = False) -> None:
        super().__init__()
        self._water = byte(self.model, "water_pct", water_pct)
        self._beans = byte(self.model, "beans_pct", beans_pct)
        self._grounds = byte(self.model, "grounds_count", grounds_count)
        self._door_open = self._flag("door_open", door_open)
        self._fault_flags = 0
        self._product = 0
        self._reset_registers()

    # -- rig side -------------------------------------------------------------------------

    def set_water_level(self, pct: int) -> None:
        """Water tank level in % (0..255 accepted: above 100 is an implausible reading)."""
        value = byte(self.model, "water level", pct)
        with self.lock:
            self._water = value

    def set_beans_level(self, pct: int) -> None:
        """Bean hopper level in % (0..255 accepted, as for water)."""
        value = byte(self.model, "beans level", pct)
        with self.lock:
            self._beans = value

    def set_door_open(self, is_open: bool) -> None:
        value = self._flag("door", is_open)
        with self.lock:
            self._door_open = value

    def set_grounds_count(self, count: int) -> None:
        """Pucks in the grounds bin since it was last emptied."""
        value = byte(self.model, "grounds count", count)
        with self.lock:
            self._grounds = value

    def add_grounds(self, pucks: int = 1) -> None:
        """A brew dropped ``pucks`` into the bin (saturates at 255)."""
        with self.lock:
            self._grounds = min(0xFF, self._grounds + byte(self.model, "pucks", pucks))

    def empty_grounds_bin(self) -> None:
        self.set_grounds_count(0)

    def set_fault_flags(self, flags: int) -> None:
        """The MCU's own view of its inputs: FAULT_* bits (e.g. a broken level probe)."""
        value = byte(self.model, "fault flags", flags)
        if value & ~_FAULT_MASK:
            raise InvalidValueError(f"status_mcu: fault flags 0x{value:02x} set undefined bits;"
                                    f" defined mask is 0x{_FAULT_MASK:02x}")
        with self.lock:
            self._fault_flags = value

    def select_product(self, product: int | None) -> None:
        """A user pressed a product button on the panel (None: selection cleared). The
        choice stays until changed, as the panel remembers the last button."""
        if product is None:
            value = 0
        elif isinstance(product, bool) or not isinstance(product, int) \
                or not 1 <= product <= 0xFFFF:
            raise InvalidValueError(f"status_mcu: product must be an id 1..65535 or None, "
                                    f"got {product!r}")
        else:
            value = product
        with self.lock:
            self._product = value

    def tick(self, passes: int = 1) -> None:
        """Run main-loop passes without bus traffic (advances the heartbeat)."""
        with self.lock:
            for _ in range(passes):
                self._main_loop()

    def registers(self) -> bytes:
        """The register file as the bus would read it now, without a loop pass."""
        with self.lock:
            return bytes(self._regs)

    # -- chip -----------------------------------------------------------------------------

    def _flag(self, what: str, value: bool) -> bool:
        if not isinstance(value, bool):
            raise InvalidValueError(f"status_mcu: {what} must be True or False, got {value!r}")
        return value

    def _reset_registers(self) -> None:
        self._pointer = 0
        self._regs = bytearray(REGISTER_COUNT)
        self._regs[WHO_AM_I] = WHO_AM_I_VALUE
        self._regs[FW_MAJOR], self._regs[FW_MINOR] = FIRMWARE_VERSION
        self._regs[GROUNDS_LIMIT] = GROUNDS_LIMIT_POWER_ON
        self._refresh()

    def _refresh(self) -> None:
        regs = self._regs
        limit = regs[GROUNDS_LIMIT]
        full = limit != 0 and self._grounds >= limit
        regs[STATUS] = ((STATUS_DOOR_OPEN if self._door_open else 0)
                        | (STATUS_GROUNDS_FULL if full else 0))
        regs[WATER_LEVEL] = self.OUT_OF_RANGE_LEVEL if self.out_of_range else self._water
        regs[BEANS_LEVEL] = self._beans
        regs[GROUNDS_COUNT] = self._grounds
        regs[FAULT_FLAGS] = self._fault_flags
        regs[PRODUCT_HI], regs[PRODUCT_LO] = self._product >> 8, self._product & 0xFF

    def _main_loop(self) -> None:
        if self.stuck:
            return
        self._regs[HEARTBEAT] = (self._regs[HEARTBEAT] + 1) & 0xFF
        self._refresh()

    def begin_transaction(self) -> None:
        self._main_loop()

    def write(self, data: bytes) -> None:
        if not data:
            return
        pointer = data[0]
        if pointer >= REGISTER_COUNT:
            raise DataNack(f"status_mcu: pointer byte 0x{pointer:02x} is past the last "
                           f"register 0x{REGISTER_COUNT - 1:02x}")
        self._pointer = pointer
        for value in data[1:]:
            if self._pointer == GROUNDS_LIMIT and not self.stuck:
                self._regs[GROUNDS_LIMIT] = value
            self._pointer += 1
        # GROUNDS_FULL follows a new limit at the next loop pass, as on the MCU.

    def read(self, length: int) -> bytes:
        out = bytearray()
        for _ in range(length):
            out.append(self._regs[self._pointer] if self._pointer < REGISTER_COUNT else 0xFF)
            self._pointer = min(self._pointer + 1, 0xFF)
        return bytes(out)
