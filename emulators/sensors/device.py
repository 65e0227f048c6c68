"""Base class of an emulated I2C device: fault state, locking and the bus-side hooks.

The transfer engine drives a device the way an I2C controller does: one
``begin_transaction`` when the device is first addressed after a START, then one
``write``/``read`` per message (repeated STARTs), then ``end_transaction`` at the STOP. The
engine holds ``lock`` for the whole transaction, so a rig thread scripting values never
sees (or causes) a half-applied transaction.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import ClassVar

from emulators.sensors.faults import DeviceFault


class I2CDevice(ABC):
    """One chip on the emulated bus. Subclasses model a datasheet's register map."""

    model: ClassVar[str]
    """Registry name of the model, e.g. ``"tmp102"``."""
    default_address: ClassVar[int]
    """7-bit address the chip has on the machine's sensor board."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._faults: set[DeviceFault] = set()

    # -- rig side -------------------------------------------------------------------------

    def inject(self, fault: DeviceFault | str) -> None:
        """Activate ``fault`` (a :class:`DeviceFault` or its name) until healed."""
        with self.lock:
            self._faults.add(DeviceFault(fault))

    def heal(self, fault: DeviceFault | str | None = None) -> None:
        """Clear one fault, or every fault when ``fault`` is None."""
        with self.lock:
            if fault is None:
                self._faults.clear()
            else:
                self._faults.discard(DeviceFault(fault))

    @property
    def faults(self) -> frozenset[DeviceFault]:
        with self.lock:
            return frozenset(self._faults)

    def power_on_reset(self) -> None:
        """Put every register back to its power-on value, as a supply glitch would."""
        with self.lock:
            self._reset_registers()

    # -- bus side (called with ``lock`` held) --------------------------------------------

    @property
    def present(self) -> bool:
        """False while the device is absent from the bus (ENXIO)."""
        return DeviceFault.MISSING not in self._faults

    @property
    def acks_address(self) -> bool:
        """False while the device ignores its address (EREMOTEIO)."""
        return DeviceFault.NACK not in self._faults

    @property
    def stuck(self) -> bool:
        return DeviceFault.STUCK in self._faults

    @property
    def out_of_range(self) -> bool:
        return DeviceFault.OUT_OF_RANGE in self._faults

    def begin_transaction(self) -> None:  # noqa: B027 - optional hook
        """The device's address was ACKed after a START: time has passed for it."""

    def end_transaction(self) -> None:  # noqa: B027 - optional hook
        """STOP condition: the transaction addressed to this device is over."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Receive one write message; raise :class:`DataNack` to refuse a byte."""

    @abstractmethod
    def read(self, length: int) -> bytes:
        """Send ``length`` bytes for one read message."""

    @abstractmethod
    def _reset_registers(self) -> None:
        """Load power-on register values (called with ``lock`` held)."""
