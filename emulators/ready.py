"""``select.select`` without its limit: which of these are readable or writable, waiting at
most ``timeout`` seconds (None: for ever).

``select`` refuses descriptors numbered 1,024 or above (FD_SETSIZE), and a rig process that
holds a hundred machines' emulated readers, boards and sockets has more than that; ``poll``
has no such limit. Readers and writers are file objects or descriptors, returned as given,
so callers keep comparing them as they did with ``select``. A hang-up or an error counts as
ready, as ``select`` reports it: the read or write that follows tells which.
"""

from __future__ import annotations

import select
from collections.abc import Sequence
from typing import Any

_IN = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR | select.POLLNVAL
_OUT = select.POLLOUT | select.POLLHUP | select.POLLERR | select.POLLNVAL


def _fd(obj: Any) -> int:
    return obj if isinstance(obj, int) else obj.fileno()


def ready(readers: Sequence[Any], writers: Sequence[Any] = (),
          timeout: float | None = None) -> tuple[list[Any], list[Any]]:
    poller = select.poll()
    masks: dict[int, int] = {}
    for obj in readers:
        masks[_fd(obj)] = masks.get(_fd(obj), 0) | select.POLLIN | select.POLLPRI
    for obj in writers:
        masks[_fd(obj)] = masks.get(_fd(obj), 0) | select.POLLOUT
    for fd, mask in masks.items():
        poller.register(fd, mask)
    events = dict(poller.poll(None if timeout is None else max(0.0, timeout) * 1000))
    return ([obj for obj in readers if events.get(_fd(obj), 0) & _IN],
            [obj for obj in writers if events.get(_fd(obj), 0) & _OUT])
