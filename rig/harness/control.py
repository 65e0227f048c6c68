"""The rig's end of the firmware's test interface (JSON lines over a Unix socket).

Records every checkpoint the firmware reports (the auditor's view of where the firmware
was), lets a test wait for one, hold it, release it, and query the firmware's status.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ControlError(RuntimeError):
    """The firmware did not answer or report as expected; says what was awaited."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    at: float
    boot: int
    name: str
    data: dict


@dataclass(repr=False)
class RigControl:
    path: Path
    checkpoints: list[Checkpoint] = field(default_factory=list)
    boots: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _conn: socket.socket | None = None
    _replies: dict[int, Any] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.path.unlink(missing_ok=True)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(4)
        threading.Thread(target=self._accept, name="rig-control", daemon=True).start()

    def __repr__(self) -> str:
        return f"RigControl({self.path}, boots={self.boots}, checkpoints={len(self.checkpoints)})"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.close()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()

    # ------------------------------------------------------------------ transport
    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._cond:
                self._conn = conn
                self.boots += 1
                boot = self.boots
                self._cond.notify_all()
            threading.Thread(target=self._read, args=(conn, boot), daemon=True).start()

    def _read(self, conn: socket.socket, boot: int) -> None:
        buf = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                with self._cond:
                    if msg.get("type") == "checkpoint":
                        self.checkpoints.append(Checkpoint(len(self.checkpoints) + 1,
                                                           time.time(), boot, msg["name"],
                                                           msg.get("data", {})))
                    elif msg.get("type") in ("reply", "error"):
                        self._replies[msg.get("id")] = msg
                    self._cond.notify_all()

    def send(self, msg: dict) -> None:
        with self._cond:
            conn = self._conn
        if conn is None:
            raise ControlError("the firmware is not connected to the rig interface")
        try:
            conn.sendall((json.dumps(msg) + "\n").encode())
        except OSError as e:
            raise ControlError(f"cannot reach the firmware: {e}") from e

    # ------------------------------------------------------------------ queries
    def last(self, name: str | None = None) -> Checkpoint | None:
        with self._cond:
            for cp in reversed(self.checkpoints):
                if name is None or cp.name == name:
                    return cp
        return None

    def wait_for(self, name: str, timeout: float = 20.0, after: int = 0,
                 **match: Any) -> Checkpoint:
        """The first checkpoint ``name`` with seq > ``after`` whose data matches ``match``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for cp in self.checkpoints[after:]:
                    if cp.name == name and all(cp.data.get(k) == v for k, v in match.items()):
                        return cp
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.name for c in self.checkpoints[after:]][-12:]
                    raise ControlError(f"no checkpoint {name!r} {match or ''} within "
                                       f"{timeout}s; the firmware reported {seen}")
                self._cond.wait(left)

    def mark(self) -> int:
        with self._cond:
            return len(self.checkpoints)

    def wait_boot(self, boot: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.boots < boot:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ControlError(f"the firmware did not connect for boot {boot} within "
                                       f"{timeout}s")
                self._cond.wait(left)

    def request(self, cmd: str, timeout: float = 10.0, **args: Any) -> Any:
        rid = next(self._ids)
        self.send({"cmd": cmd, "id": rid, **args})
        deadline = time.monotonic() + timeout
        with self._cond:
            while rid not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ControlError(f"the firmware did not answer {cmd!r} within {timeout}s")
                self._cond.wait(left)
            reply = self._replies.pop(rid)
        if reply.get("type") == "error":
            raise ControlError(f"the firmware refused {cmd!r}: {reply.get('error')}")
        return reply.get("result")

    def status(self) -> dict:
        return self.request("status")

    def hold(self, *names: str) -> None:
        self.send({"cmd": "hold", "names": list(names)})

    def release(self, name: str) -> None:
        self.send({"cmd": "release", "name": name})

    def clock_advance(self, seconds: float) -> None:
        self.send({"cmd": "clock", "advance": seconds})
