"""The faults one emulated I2C device can be put into by the rig."""

from __future__ import annotations

from enum import StrEnum


class DeviceFault(StrEnum):
    """What is wrong with a device; several may be active at once.

    - ``nack``: the device stops acknowledging its address (i2c-dev: EREMOTEIO).
    - ``missing``: the device is absent from the bus (ENXIO); inject before the firmware
      boots for "missing at boot".
    - ``stuck``: measurement registers freeze at their current value (no new conversions,
      the status MCU's heartbeat stops) while the chip still answers.
    - ``out_of_range``: the chip reports its model's implausible reading (see each model's
      ``OUT_OF_RANGE_*`` constant) instead of the scripted physical value.
    """

    NACK = "nack"
    MISSING = "missing"
    STUCK = "stuck"
    OUT_OF_RANGE = "out_of_range"
