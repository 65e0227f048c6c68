"""Device threads inside a Python process answer within a hardware deadline.

CPython hands the GIL to a thread that wakes up (a frame arrived) only after the running
thread's switch interval, 5 ms by default, and after every other runnable thread's turn. A
rig process runs the NFC field, the brew board, the sensor bus and the RPC proxy beside the
test's own work, and the reader gives the phone 30 ms for its ATS and ~42 ms per frame.
``python -m bench.nfc_under_load`` measures taps beside busy threads per switch interval.
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL = 0.0005


def answer_promptly() -> None:
    """Lower the process's thread switch interval to ``SWITCH_INTERVAL`` (never raise it)."""
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)
