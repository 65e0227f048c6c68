"""Runs at interpreter start inside the emulated Pi: the SD card's write semantics and boot.

The emulated Pi puts this directory first on PYTHONPATH; the firmware's own command line is
unchanged (``python -m firmware --config ...``).
"""

import os
import time

if os.environ.get("COFFEEPAY_PI_SDCARD") == "volatile":
    from emulators.pi.sdcard import install

    install()

_boot = float(os.environ.get("COFFEEPAY_PI_BOOT_SECONDS", "0") or 0)
if _boot > 0:
    time.sleep(_boot)
