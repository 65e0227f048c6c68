"""The machine's sensor board as shipped: TMP102 at 0x48, INA219 at 0x40, status MCU at 0x42."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from emulators.sensors.bus import BusServer
from emulators.sensors.device import I2CDevice
from emulators.sensors.ina219 import INA219
from emulators.sensors.status_mcu import StatusMCU
from emulators.sensors.tmp102 import TMP102


@dataclass
class SensorBoard:
    """Handles on the three chips, so the rig can script values and inject faults."""

    tmp102: TMP102 = field(default_factory=TMP102)
    ina219: INA219 = field(default_factory=INA219)
    status_mcu: StatusMCU = field(default_factory=StatusMCU)

    def devices(self) -> tuple[I2CDevice, ...]:
        return (self.tmp102, self.ina219, self.status_mcu)

    def attach_to(self, server: BusServer) -> SensorBoard:
        """Attach every chip at its default address."""
        for device in self.devices():
            server.attach(device)
        return self


def serve_board(path: str | os.PathLike[str], board: SensorBoard | None = None, *,
                frame_timeout: float = 1.0) -> tuple[BusServer, SensorBoard]:
    """Start a bus server at ``path`` with ``board`` (default chips) attached."""
    board = board if board is not None else SensorBoard()
    server = BusServer(path, frame_timeout=frame_timeout)
    board.attach_to(server)
    return server.start(), board
