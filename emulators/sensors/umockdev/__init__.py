"""The emulated sensor chips behind a real ``/dev/i2c-N``, through umockdev.

The firmware keeps its kernel path (smbus2's ioctls on ``/dev/i2c-N``); run under umockdev's
preload library, those ioctls reach :class:`I2CDevTestbed`'s handler in the rig, which turns
them into transfers on an :class:`~emulators.sensors.transfer.EmulatedI2CBus`::

    board = SensorBoard()
    bus = EmulatedI2CBus()
    for chip in board.devices():
        bus.attach(chip)
    with I2CDevTestbed(bus, 1) as testbed:
        subprocess.run([...], env={**os.environ, **testbed.client_env()})

Needs the Debian packages umockdev, gir1.2-umockdev-1.0 and python3-gi (``make deps``);
without them :class:`I2CDevTestbed` raises :class:`UmockdevUnavailable` saying so. Importing
this package needs none of them.
"""

from emulators.sensors.umockdev.loader import (
    DEBIAN_PACKAGES,
    PRELOAD_LIBRARY,
    UmockdevUnavailable,
    load_umockdev,
)
from emulators.sensors.umockdev.testbed import I2CDevTestbed

__all__ = [
    "DEBIAN_PACKAGES",
    "PRELOAD_LIBRARY",
    "I2CDevTestbed",
    "UmockdevUnavailable",
    "load_umockdev",
]
