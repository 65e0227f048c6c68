"""Structured JSON-lines logs on stdout: the Pi's console, captured by the rig or journald."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

_lock = threading.Lock()


def log(event: str, **fields: Any) -> None:
    line = json.dumps({"t": round(time.time(), 6), "event": event, **fields}, default=str)
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
