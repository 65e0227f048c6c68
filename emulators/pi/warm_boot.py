"""The rig's side of the warm interpreter (``zygote.py``): boot requests and exit statuses.

One server per set of preloaded modules serves every emulated Pi of this process. A booted
firmware is a ``WarmProcess``, which answers what the Pi asks of a ``subprocess.Popen``
(``pid``, ``poll``, ``wait``, ``returncode``), so power cuts and shutdowns treat both boots
alike: signal the process group, then reap.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class WarmBootError(RuntimeError):
    """The warm interpreter could not start, or refused or lost a boot request."""


@dataclass
class WarmProcess:
    """A process the warm interpreter forked; its exit status arrives over the pipe."""

    pid: int
    server: WarmInterpreter
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.exit_status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        code = self.server.wait_exit(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"warm firmware pid {self.pid}", timeout or 0.0)
        self.returncode = code
        return code


@dataclass
class WarmInterpreter:
    """``python -m emulators.pi.zygote PRELOAD...`` and the thread reading its replies."""

    preload: tuple[str, ...]
    python: str = sys.executable
    _proc: subprocess.Popen | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _replies: dict[int, dict[str, Any]] = field(default_factory=dict)
    _exits: dict[int, int] = field(default_factory=dict)
    _next_id: int = 0
    _lost: str = ""

    _shared: ClassVar[dict[tuple[str, tuple[str, ...]], WarmInterpreter]] = {}

    @classmethod
    def shared(cls, preload: tuple[str, ...], python: str = sys.executable
               ) -> WarmInterpreter:
        """The running server for these modules, started on first use."""
        key = (python, preload)
        server = cls._shared.get(key)
        if server is None or not server.running:
            server = cls._shared[key] = cls(preload, python).start()
        return server

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and not self._lost

    def start(self) -> WarmInterpreter:
        # No parent-death signal here: Linux sends it when the *thread* that spawned the
        # child exits. The server exits on end of stdin instead, which comes when this
        # process dies, whichever thread started it (children never inherit the pipe).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        self._proc = subprocess.Popen(
            [self.python, "-m", "emulators.pi.zygote", *self.preload], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        threading.Thread(target=self._read, name="pi-warm-interpreter", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()  # type: ignore[union-attr]
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def cpu_seconds(self) -> float:
        """CPU time of the server and of every child it has reaped (its booted programs),
        which ``getrusage(RUSAGE_CHILDREN)`` in the rig cannot see while the server lives."""
        if self._proc is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(") ", 1)[1].split()
        except OSError:
            return 0.0
        # utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after "pid (comm) "
        return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    @classmethod
    def all_cpu_seconds(cls) -> float:
        return sum(server.cpu_seconds() for server in cls._shared.values())

    def boot(self, module: str, args: list[str], env: dict[str, str], cwd: Path,
             console: Path) -> WarmProcess:
        """Fork ``python -m module args...`` with this environment; returns at once."""
        if self._proc is None or self._proc.stdin is None:
            raise WarmBootError("the warm interpreter is not started")
        with self._lock:
            ident = self._next_id
            self._next_id += 1
        request = {"id": ident, "module": module, "args": args, "env": env,
                   "cwd": str(cwd), "console": str(console)}
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
        except OSError as e:
            raise WarmBootError(f"the warm interpreter is gone ({e}); see the rig's stderr "
                                f"for its last words") from e
        reply = self._await(lambda: self._replies.pop(ident, None), START_TIMEOUT,
                            f"booting {module}")
        if "error" in reply:
            raise WarmBootError(f"the warm interpreter refused to boot {module}: "
                                f"{reply['error']}")
        return WarmProcess(int(reply["pid"]), self)

    def exit_status(self, pid: int) -> int | None:
        with self._lock:
            return self._exits.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int | None:
        try:
            return self._await(lambda: self._exits.get(pid), timeout, f"pid {pid} to exit")
        except TimeoutError:
            return None

    def _await(self, ready: Any, timeout: float | None, what: str) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while (value := ready()) is None:
                if self._lost:
                    raise WarmBootError(f"waiting for {what}: {self._lost}")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"waiting for {what}: no answer in {timeout} s")
                self._lock.wait(left)
            return value

    def _receive(self, msg: dict[str, Any]) -> None:
        """One message of the server, in the order it sent them. A boot's pid may be one an
        earlier child had (pids wrap: 32,768 by default, a night forks tens of thousands):
        that child's exit came before this boot, so it is forgotten here, or the new
        process would read as exited at once and live on unseen."""
        with self._lock:
            if "exited" in msg:
                self._exits[int(msg["exited"])] = int(msg["code"])
            elif msg.get("id") is not None:
                if "pid" in msg:
                    self._exits.pop(int(msg["pid"]), None)
                self._replies[int(msg["id"])] = msg
            self._lock.notify_all()

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            self._receive(msg)
        with self._lock:
            self._lost = (f"the warm interpreter exited (status {self._proc.wait()}); its "
                          f"children were killed with it")
            self._lock.notify_all()
