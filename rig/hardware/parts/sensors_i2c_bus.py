"""Sensor boards: the real chips on the Pi's kernel I2C bus (/dev/i2c-N, smbus2).

The product buttons are pressed by a person, told by ``prompt`` (rig/hardware/person.py);
what the chips measure is the world's, so neither sensor values nor chip faults can be set.
"""

from __future__ import annotations

from typing import Any

from rig.hardware.person import Person
from rig.hardware.protocols import Part, ProductPanel
from rig.hardware.registry import PartContext, register


@register("sensors", "i2c-bus")
class KernelI2CBus(Part, ProductPanel):
    def __init__(self, ctx: PartContext, bus: int = 1, interval: float = 0.2,
                 prompt: str | None = None) -> None:
        if isinstance(bus, bool) or not isinstance(bus, int) or bus < 0:
            raise ValueError(f"[sensors] bus must be the I2C bus number (1 on a Pi), got {bus!r}")
        self.bus, self.interval = bus, interval
        self.person = Person(prompt)

    def config(self) -> dict[str, Any]:
        return {"bus": self.bus, "interval": self.interval}

    def describe(self) -> dict[str, str]:
        return {"driver": "smbus2 i2c-dev", "device": f"/dev/i2c-{self.bus}"}

    def select_product(self, product: int) -> None:
        self.person.tell(f"press product {product} on the machine's panel")

    def close(self) -> None:
        """Nothing to release: the firmware owns the bus."""
