"""A hang guard that counts CPU time, not wall time: a parser stuck on one input is stopped
with ``ParserHang`` however loaded the machine is (the nightly fuzzers run beside the
property shards at low priority, where a wall-clock deadline measures the neighbours)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

HANG_CPU_SECONDS = 2.0
"""CPU seconds one input may take before the parser counts as hanging."""


class ParserHang(AssertionError):
    """The parser used more CPU on one input than ``HANG_CPU_SECONDS``."""


@contextlib.contextmanager
def cpu_limit(seconds: float | None = None) -> Iterator[None]:
    """Raise ``ParserHang`` inside the block once this process used ``seconds`` of CPU in
    it. Outside the main thread (no signals there) the block runs unguarded."""
    limit = HANG_CPU_SECONDS if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_sig: int, _frame: FrameType | None) -> None:
        raise ParserHang(f"the parser used more than {limit} s of CPU on one input (a hang)")

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
