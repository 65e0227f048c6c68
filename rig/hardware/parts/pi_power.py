"""Power: the emulated Pi runs the firmware as a process and cuts it with SIGKILL."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from emulators.pi import EmulatedPi
from emulators.pi.board import ROOT
from rig.hardware.protocols import (
    CardCopies,
    Diagnosable,
    Finding,
    FirmwareHost,
    FirmwareTools,
    Part,
    StorageFaults,
)
from rig.hardware.registry import PartContext, register

FIRMWARE_MODULES = ("firmware.machine",)
"""What a warm boot imports ahead: everything the firmware's ``main()`` pulls in."""


@register("power", "emulated-pi")
class EmulatedPiPower(Part, FirmwareHost, StorageFaults, CardCopies, FirmwareTools, Diagnosable):
    def __init__(self, ctx: PartContext, boot_seconds: float = 0.0, boot: str = "warm"
                 ) -> None:
        self.pi = EmulatedPi(config=ctx.workdir / "machine.toml",
                             console=ctx.workdir / "console.jsonl", boot_seconds=boot_seconds,
                             program="firmware", boot=boot, preload=FIRMWARE_MODULES)

    def config(self) -> dict[str, Any]:
        return {}

    def describe(self) -> dict[str, str]:
        return {"driver": f"local process ({self.pi.boot} boot), SIGKILL power cut",
                "host": "this host"}

    @property
    def powered(self) -> bool:
        return self.pi.powered

    @property
    def boots(self) -> int:
        return self.pi.boots

    @property
    def console(self) -> Path:
        return self.pi.console

    def set_env(self, env: dict[str, str]) -> None:
        if "LD_PRELOAD" in env and self.pi.boot == "warm":
            # A warm boot forks an interpreter that started without it: the loader is past.
            raise ValueError("[power] boot = 'warm' cannot start the firmware with LD_PRELOAD "
                             f"({env['LD_PRELOAD']}, which another part needs): set "
                             "boot = 'cold' in the profile's [power] table")
        self.pi.extra_env.update(env)

    def reach(self, endpoint: str) -> str:
        """The emulated Pi is this host: every endpoint is reached as it is."""
        return endpoint

    def power_on(self) -> None:
        self.pi.power_on()

    def power_off(self) -> None:
        self.pi.power_off()

    def shutdown(self) -> int | None:
        return self.pi.shutdown()

    def run_tool(self, module: str, args: list[str], timeout: float) -> tuple[int, str]:
        """``python -m module args`` as the Pi would run it: its Python, its environment."""
        env = {**os.environ, **self.pi.extra_env,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        try:
            done = subprocess.run([self.pi.python, "-m", module, *args], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as e:
            return 124, f"{module} did not finish within {e.timeout} s"
        return done.returncode, done.stdout + done.stderr

    def probe(self) -> list[Finding]:
        rc, out = self.run_tool("platform", [], 30.0)
        version = out.strip().splitlines()[-1] if out.strip() else "no output"
        return [Finding("power", rc == 0, f"emulated Pi on this host: {version}",
                        "" if rc == 0 else "the rig's Python cannot start a process here")]

    def copy_dir(self, src: str, dst: str) -> None:
        if not Path(src).is_dir():
            raise FileNotFoundError(f"{src}: no such directory on this host")
        staging = Path(f"{dst}.partial")
        staging.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(src, staging)
        shutil.rmtree(dst, ignore_errors=True)
        staging.rename(dst)

    def arm_sdcard(self, **faults: object) -> None:
        self.pi.arm_sdcard(**faults)

    def close(self) -> None:
        self.pi.power_off()
