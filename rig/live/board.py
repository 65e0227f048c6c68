"""The live board: the latest picture of a running rig, and everyone watching it.

The rig's thread publishes a whole snapshot (plain JSON) whenever something changed; each
page connected to the server gets it pushed. Publishing never blocks the rig: a watcher
that falls behind only ever gets the newest snapshot (its queue holds one).
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any


class LiveBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: dict[str, Any] = {"phase": "starting", "seq": 0}
        self._watchers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = []

    def publish(self, snapshot: dict[str, Any]) -> None:
        """Replace the picture (from any thread) and push it to every watcher."""
        with self._lock:
            self._snapshot = {**snapshot, "seq": self._snapshot["seq"] + 1}
            text = json.dumps(self._snapshot, default=str)
            watchers = list(self._watchers)
        for loop, queue in watchers:
            loop.call_soon_threadsafe(_put_latest, queue, text)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._snapshot)

    def watch(self) -> asyncio.Queue[str]:
        """A queue (of the running loop) that gets every later snapshot, the current first."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        with self._lock:
            self._watchers.append((asyncio.get_running_loop(), queue))
            queue.put_nowait(json.dumps(self._snapshot, default=str))
        return queue

    def unwatch(self, queue: asyncio.Queue[str]) -> None:
        with self._lock:
            self._watchers = [(loop, q) for loop, q in self._watchers if q is not queue]


def _put_latest(queue: asyncio.Queue[str], text: str) -> None:
    if queue.full():
        queue.get_nowait()      # the watcher has not read the last one: it gets this instead
    queue.put_nowait(text)
