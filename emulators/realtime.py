"""Device threads inside a Python process answer within a hardware deadline.

CPython hands the GIL to a thread that wakes up (a frame arrived) only after the running
thread's switch interval, 5 ms by default, and after every other runnable thread's turn. A
rig process runs the NFC field, the brew board, the sensor bus and the RPC proxy beside the
test's own work, and the reader gives the phone 30 ms for its ATS and ~42 ms per frame.
``python -m bench.nfc_under_load`` measures taps beside busy threads per switch interval.

On a shared host the operating system is the other half: real hardware has a CPU of its own,
an emulated chip shares the rig's with whatever else runs. A device thread therefore asks for
a higher scheduling priority than ordinary processes (``serve_in_time``), so a busy neighbour
(QA's CPU hog, a parallel build) does not push an answer past the reader's deadline.
"""

from __future__ import annotations

import os
import sys
import threading

SWITCH_INTERVAL = 0.0005
DEADLINE_NICE = -10   # per-thread nice of a device thread: ahead of nice-0 neighbours


def answer_promptly() -> None:
    """Lower the process's thread switch interval to ``SWITCH_INTERVAL`` (never raise it)."""
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)


def serve_in_time() -> bool:
    """Raise the calling thread's CPU priority to ``DEADLINE_NICE`` (Linux: nice is per
    thread). Without the privilege for it (not root, no CAP_SYS_NICE) the thread keeps its
    priority and False is returned: the rig still runs, with less margin on a loaded host."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), DEADLINE_NICE)
    except (OSError, AttributeError):
        return False
    return True
