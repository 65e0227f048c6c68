"""Brew board: a real board on a serial port (e.g. /dev/ttyUSB0), through pyserial.

A real board keeps its dispense log to itself: this kind is no dispense witness, so the
invariants that read what was dispensed are undecided on it (rig/harness/collect.py), and
the serial faults, which need an emulated board, are not available.
"""

from __future__ import annotations

from typing import Any

from rig.hardware.protocols import Part
from rig.hardware.registry import PartContext, register


@register("brew", "serial-board")
class SerialBoard(Part):
    def __init__(self, ctx: PartContext, port: str = "/dev/ttyUSB0", timeout: float = 30.0
                 ) -> None:
        if not port.startswith("/"):
            raise ValueError(f"[brew] port {port!r} must be a device path such as /dev/ttyUSB0")
        self.port, self.timeout = port, timeout

    def config(self) -> dict[str, Any]:
        return {"port": self.port, "timeout": self.timeout}

    def describe(self) -> dict[str, str]:
        return {"driver": "pyserial", "device": self.port}

    def close(self) -> None:
        """Nothing to release: the firmware owns the port."""
