"""The emulated Raspberry Pi: boots the firmware as its own process, cuts its power.

Power semantics: ``power_off()`` SIGKILLs the firmware's process group at once; with the
volatile SD card every write the firmware had not synced is gone. ``shutdown()`` is the
clean path (SIGTERM, the firmware closes its store).

Boot: ``cold`` starts a fresh interpreter (``python -m firmware``), as the real Pi does;
``warm`` forks it from an interpreter that has already imported ``preload`` (``zygote.py``),
which saves the second of imports each boot costs. Either way the firmware runs from its
``__main__`` in a new process with the same environment, SD card and boot delay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from emulators.pi.bootrom import BOOT_SECONDS_ENV, SDCARD_ENV
from emulators.pi.warm_boot import WarmInterpreter, WarmProcess
from rig.proc import kill_group, spawn_owned

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(__file__).resolve().parent / "site"
BOOTS = ("cold", "warm")


class PiError(RuntimeError):
    """The Pi was asked for something its power state does not allow."""


@dataclass
class EmulatedPi:
    config: Path
    console: Path                       # the firmware's stdout/stderr (JSON-lines logs)
    boot_seconds: float = 0.0
    volatile_sdcard: bool = True
    python: str = sys.executable
    extra_env: dict[str, str] = field(default_factory=dict)
    program: str = "firmware"           # the module the Pi runs: python -m <program>
    program_args: tuple[str, ...] | None = None   # None: --config <config>
    boot: str = "cold"                  # one of BOOTS
    preload: tuple[str, ...] = ()       # what a warm boot has imported already
    boots: int = 0
    _proc: subprocess.Popen | WarmProcess | None = None
    _arm: int = 0

    def __post_init__(self) -> None:
        if self.boot not in BOOTS:
            raise PiError(f"boot {self.boot!r} is not one of {', '.join(BOOTS)}")
        # Started here (building the machine), not at the first power-on from some thread.
        self._warm = WarmInterpreter.shared((self.program, *self.preload), self.python) \
            if self.boot == "warm" else None

    @property
    def powered(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def sdcard_control(self) -> Path:
        """The file through which the rig arms the SD card's faults (see sdcard.CardFaults)."""
        return self.console.parent / "sdcard-faults.json"

    def arm_sdcard(self, **faults: object) -> None:
        """Rewrite the card's fault file; a running firmware picks it up at its next sync."""
        import json

        self._arm += 1
        tmp = self.sdcard_control.with_suffix(".tmp")
        tmp.write_text(json.dumps({"arm": self._arm, **faults}))
        tmp.replace(self.sdcard_control)

    def power_on(self) -> None:
        if self.powered:
            raise PiError("the Pi is already powered on")
        env = {**os.environ, **self.extra_env,
               "PYTHONPATH": os.pathsep.join([str(SITE), str(ROOT),
                                              os.environ.get("PYTHONPATH", "")]),
               SDCARD_ENV: "volatile" if self.volatile_sdcard else "host",
               BOOT_SECONDS_ENV: str(self.boot_seconds),
               "COFFEEPAY_SD_CONTROL": str(self.sdcard_control),
               "PYTHONUNBUFFERED": "1"}
        self.console.parent.mkdir(parents=True, exist_ok=True)
        args = ["--config", str(self.config)] if self.program_args is None \
            else list(self.program_args)
        if self._warm is not None:
            self._proc = self._warm.boot(self.program, args, env, ROOT, self.console)
        else:
            self._proc = spawn_owned([self.python, "-m", self.program, *args],
                                     log=self.console, env=env, cwd=ROOT)
        self.boots += 1

    def power_off(self) -> None:
        """Cut the power: SIGKILL, unsynced writes lost."""
        if self._proc is not None:
            kill_group(self._proc, signal.SIGKILL)

    def shutdown(self, timeout: float = 10.0) -> int | None:
        """A clean shutdown; returns the firmware's exit code."""
        if self._proc is None:
            return None
        kill_group(self._proc, signal.SIGTERM, timeout)
        return self._proc.returncode

    def restart(self) -> None:
        self.shutdown()
        self.power_on()

    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.poll()
