"""The warm interpreter: imports the firmware's modules once, then forks one process per boot.

A cold boot (``python -m firmware``) spends about a second importing web3, eth-account and
nfcpy before the firmware's first line runs; a rig that cuts the power dozens of times per
run pays that every time. This server pays it once. Each boot is still a new process in its
own session, running the firmware's ``__main__`` from the top, killed with SIGKILL by a cut.

``python -m emulators.pi.zygote MODULE...`` preloads the named modules. The rig speaks JSON
lines on the server's stdin/stdout (``warm_boot.py`` is the other side):

- request ``{"id": n, "module": "firmware", "args": [...], "env": {...}, "cwd": "...",
  "console": "/path"}`` → reply ``{"id": n, "pid": pid}`` or ``{"id": n, "error": "..."}``;
- when a child ends: ``{"exited": pid, "code": c}`` (``-signal`` when killed, like Popen).

End of stdin (the rig is gone) kills every child still running, then the server exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import io
import json
import os
import runpy
import selectors
import signal
import sys
import threading
import traceback
from typing import Any

from emulators.pi.bootrom import boot_environment

_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1


def _status_code(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


class Server:
    def __init__(self, preload: list[str]) -> None:
        for name in preload:
            importlib.import_module(name)
        self.children: set[int] = set()
        self.out = sys.stdout.buffer
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def send(self, message: dict[str, Any]) -> None:
        self.out.write(json.dumps(message).encode() + b"\n")
        self.out.flush()

    def serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(0, selectors.EVENT_READ, "request")
        sel.register(self.wake_r, selectors.EVENT_READ, "child")
        pending = b""
        try:
            while True:
                for key, _ in sel.select():
                    if key.data == "child":
                        os.read(self.wake_r, 4096)
                        self.reap()
                        continue
                    data = os.read(0, 65536)
                    if not data:
                        return
                    *lines, pending = (pending + data).split(b"\n")
                    for line in lines:
                        self.boot(line)
        finally:
            for pid in self.children:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)

    def reap(self) -> None:
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            self.children.discard(pid)
            self.send({"exited": pid, "code": _status_code(status)})

    def boot(self, line: bytes) -> None:
        try:
            req = json.loads(line)
            ident = req["id"]
            module, args = str(req["module"]), [str(a) for a in req["args"]]
            env, cwd, console = dict(req["env"]), str(req["cwd"]), str(req["console"])
        except (ValueError, KeyError, TypeError) as e:
            self.send({"id": None, "error": f"malformed boot request {line[:200]!r}: {e}"})
            return
        try:
            log = os.open(console, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as e:
            self.send({"id": ident, "error": f"cannot open the console {console}: {e}"})
            return
        server = os.getpid()   # read before the fork: the child may outlive us at once
        pid = os.fork()
        if pid == 0:
            self._child(server, module, args, env, cwd, log)
        os.close(log)
        self.children.add(pid)
        self.send({"id": ident, "pid": pid})

    def _child(self, server: int, module: str, args: list[str], env: dict[str, str],
               cwd: str, log: int) -> None:
        code = 1
        try:
            os.setsid()
            libc = ctypes.CDLL(None)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != server:
                os._exit(1)
            libc.prctl(_PR_SET_NAME, module.encode()[:15], 0, 0, 0)  # top/ps -o comm show it
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            for fd in (devnull, log, self.wake_r, self.wake_w):
                os.close(fd)
            sys.stdin = open(0, closefd=False)  # noqa: SIM115 - fd 0 lives as long as we do
            sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(env)
            sys.argv = [module, *args]
            code = _run(module)
        except BaseException:
            traceback.print_exc()
        finally:
            with contextlib.suppress(BaseException):
                threading._shutdown()  # type: ignore[attr-defined]  # as interpreter exit does
            os._exit(code)


def _run(module: str) -> int:
    """Run ``module`` as ``python -m module`` would; its exit status."""
    try:
        boot_environment()
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    Server(sys.argv[1:]).serve()
