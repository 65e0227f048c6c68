"""What the emulated Pi does in the firmware's process before the firmware's own code runs.

Shared by both ways the Pi boots (a fresh interpreter through ``site/sitecustomize.py``, or a
fork of the warm interpreter in ``zygote.py``), so the SD card and the boot delay are the same
whichever way the firmware starts. Everything comes from the environment the Pi sets.
"""

from __future__ import annotations

import os
import time

SDCARD_ENV = "COFFEEPAY_PI_SDCARD"
BOOT_SECONDS_ENV = "COFFEEPAY_PI_BOOT_SECONDS"


def boot_environment() -> None:
    """Put the volatile SD card under SQLite (if the Pi has one), then wait the boot time."""
    if os.environ.get(SDCARD_ENV) == "volatile":
        from emulators.pi.sdcard import install

        install()
    boot = float(os.environ.get(BOOT_SECONDS_ENV, "0") or 0)
    if boot > 0:
        time.sleep(boot)
