"""Runs at interpreter start inside the emulated Pi: the SD card's write semantics and boot.

The emulated Pi puts this directory first on PYTHONPATH; the firmware's own command line is
unchanged (``python -m firmware --config ...``).
"""

from emulators.pi.bootrom import boot_environment

boot_environment()
