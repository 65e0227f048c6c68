"""Emulated I2C sensor boards and the Unix-socket bus that serves them to the firmware.

Importing this package registers the bundled models (``tmp102``, ``ina219``,
``status_mcu``) with :mod:`emulators.sensors.registry`.
"""

from emulators.sensors.board import SensorBoard, serve_board
from emulators.sensors.bus import BusServer
from emulators.sensors.device import I2CDevice
from emulators.sensors.faults import DeviceFault
from emulators.sensors.ina219 import INA219
from emulators.sensors.registry import create_device, model_class, model_names, register_model
from emulators.sensors.status_mcu import StatusMCU
from emulators.sensors.tmp102 import TMP102
from emulators.sensors.transfer import EmulatedI2CBus, I2CMessage

__all__ = [
    "INA219",
    "TMP102",
    "BusServer",
    "DeviceFault",
    "EmulatedI2CBus",
    "I2CDevice",
    "I2CMessage",
    "SensorBoard",
    "StatusMCU",
    "create_device",
    "model_class",
    "model_names",
    "register_model",
    "serve_board",
]
