"""The emulated SD card as SQLite's default VFS for the duration of a block.

The firmware's ``Store`` opens its file on the default VFS; registering the Pi emulator's
volatile card makes both the recording and the reopening of crash states go through the
same storage model the rig's power cuts use (and never fsync the host disk)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator

from emulators.pi.sdcard import VolatileCard

_names = itertools.count()


@contextlib.contextmanager
def scratch_card() -> Iterator[VolatileCard]:
    card = VolatileCard(name=f"crash-explorer-{next(_names)}")
    try:
        yield card
    finally:
        card.recorder = None
        card.unregister()
