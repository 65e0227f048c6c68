"""Power: the emulated Pi runs the firmware as a process and cuts it with SIGKILL."""

from __future__ import annotations

from typing import Any

from emulators.pi import EmulatedPi
from rig.hardware.registry import PartContext, register

FIRMWARE_MODULES = ("firmware.machine",)
"""What a warm boot imports ahead: everything the firmware's ``main()`` pulls in."""


@register("power", "emulated-pi")
class EmulatedPiPower:
    def __init__(self, ctx: PartContext, boot_seconds: float = 0.0, boot: str = "warm"
                 ) -> None:
        self.pi = EmulatedPi(config=ctx.workdir / "machine.toml",
                             console=ctx.workdir / "console.jsonl", boot_seconds=boot_seconds,
                             program="firmware", boot=boot, preload=FIRMWARE_MODULES)

    def config(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.pi.power_off()
