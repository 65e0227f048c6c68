"""Sensor boards on the machine's I2C bus: bus selection, chip drivers, fault monitor.

Typical use::

    monitor = SensorMonitor(open_bus(settings.i2c_bus), MonitorConfig())
    snapshot = monitor.read()          # once per poll interval
    if not snapshot.brew_safe: ...     # snapshot.brew_blockers says why
    for fault in snapshot.raised: ...  # report fault.code on-chain; snapshot.cleared: attest
"""

from firmware.sensors.bus import I2CBus, open_bus
from firmware.sensors.config import MonitorConfig, Range, SensorLimits
from firmware.sensors.errors import (
    BusClosedError,
    BusProtocolError,
    BusSpecError,
    BusTransportError,
    ChipIdentityError,
    SensorConfigError,
    TransferArgumentError,
)
from firmware.sensors.faults import (
    FaultKind,
    Quantity,
    Sensor,
    SensorFault,
    describe_fault_code,
    fault_code,
)
from firmware.sensors.monitor import SensorMonitor
from firmware.sensors.snapshot import BrewBlocker, SensorHealth, SensorSnapshot
from firmware.sensors.socket_bus import SocketI2CBus

__all__ = [
    "BrewBlocker",
    "BusClosedError",
    "BusProtocolError",
    "BusSpecError",
    "BusTransportError",
    "ChipIdentityError",
    "FaultKind",
    "I2CBus",
    "MonitorConfig",
    "Quantity",
    "Range",
    "Sensor",
    "SensorConfigError",
    "SensorFault",
    "SensorHealth",
    "SensorLimits",
    "SensorMonitor",
    "SensorSnapshot",
    "SocketI2CBus",
    "TransferArgumentError",
    "describe_fault_code",
    "fault_code",
    "open_bus",
]
