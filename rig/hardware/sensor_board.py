"""The emulated sensor board's controls, whichever bus serves it to the firmware.

Both emulated sensor part kinds (the rig's socket bus, /dev/i2c-N through umockdev) hold a
``SensorBoard``; what the world sets on it and the chip faults are the same whatever the bus.
"""

from __future__ import annotations

from emulators.sensors import DeviceFault, I2CDevice, SensorBoard
from rig.hardware.protocols import ProductPanel, SensorFaults, SensorValues

CHIPS = ("tmp102", "ina219", "status_mcu")


class SensorBoardControls(ProductPanel, SensorValues, SensorFaults):
    board: SensorBoard

    def select_product(self, product: int) -> None:
        self.board.status_mcu.select_product(product)

    def set_temperature(self, celsius: float) -> None:
        self.board.tmp102.set_temperature(celsius)

    def inject_chip(self, chip: str, fault: DeviceFault) -> None:
        self._chip(chip).inject(fault)

    def heal_chip(self, chip: str, fault: DeviceFault | None = None) -> None:
        self._chip(chip).heal(fault)

    def _chip(self, name: str) -> I2CDevice:
        if name not in CHIPS:
            raise KeyError(f"no chip {name!r} on the sensor board; chips: {', '.join(CHIPS)}")
        chip: I2CDevice = getattr(self.board, name)
        return chip
