"""Power: the emulated Pi runs the firmware as a process and cuts it with SIGKILL."""

from __future__ import annotations

from typing import Any

from emulators.pi import EmulatedPi
from rig.hardware.registry import PartContext, register


@register("power", "emulated-pi")
class EmulatedPiPower:
    def __init__(self, ctx: PartContext, boot_seconds: float = 0.0) -> None:
        self.pi = EmulatedPi(config=ctx.workdir / "machine.toml",
                             console=ctx.workdir / "console.jsonl", boot_seconds=boot_seconds)

    def config(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.pi.power_off()
