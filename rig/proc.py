"""Child processes owned by the rig: they never outlive it.

Each child gets its own process group (so a power cut or stop kills everything it spawned)
and a parent-death signal (so even a SIGKILLed pytest leaves no orphan behind).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Protocol

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent(parent_pid: int) -> None:
    # Runs in the child between fork and exec; PDEATHSIG survives exec of a normal binary.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def spawn_owned(argv: Sequence[str], *, log: Path | IO | None = None,
                env: dict[str, str] | None = None, cwd: Path | None = None,
                ) -> subprocess.Popen:
    """Start ``argv`` in a new process group that is SIGKILLed when this process dies.

    Spawn from the main thread: Linux delivers the parent-death signal when the spawning
    *thread* exits.
    """
    parent = os.getpid()
    out: IO | int = subprocess.DEVNULL
    close_after = False
    if isinstance(log, Path):
        out = open(log, "ab")  # noqa: SIM115 - closed once Popen has its own copy
        close_after = True
    elif log is not None:
        out = log
    try:
        return subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True,
            preexec_fn=lambda: _die_with_parent(parent),
        )
    finally:
        if close_after:
            out.close()  # type: ignore[union-attr]


class Reapable(Protocol):
    """What ``kill_group`` needs of a process: ``subprocess.Popen`` and the emulated Pi's
    warm-booted firmware both have it."""

    pid: int

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def kill_group(proc: Reapable, sig: int = signal.SIGKILL, timeout: float = 5.0) -> None:
    """Signal the whole process group of ``proc`` and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
