"""The rig's end of the firmware's test interface (JSON lines over a Unix socket).

Records every checkpoint the firmware reports (the auditor's view of where the firmware
was), lets a test wait for one, hold it, release it, and query the firmware's status.

``hold`` and ``release`` wait for the firmware's acknowledgement. The reply to a ``hold``
comes in order with the checkpoint reports, so its ``mark`` splits them exactly: every
checkpoint after it was reached with the hold in place (and so was held).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
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
    held: bool = False    # the firmware blocked there until released


@dataclass(frozen=True)
class Ack:
    """The firmware's acknowledgement of a command: its result, the checkpoint count when it
    came (checkpoints after ``mark`` were reported after it) and the boot that sent it."""

    result: Any
    mark: int
    boot: int


@dataclass(repr=False)
class RigControl:
    path: Path
    checkpoints: list[Checkpoint] = field(default_factory=list)
    boots: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _conn: socket.socket | None = None
    _replies: dict[int, tuple[dict, int, int]] = field(default_factory=dict)  # msg, mark, boot
    _ended: set[int] = field(default_factory=set)   # boots whose connection closed
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
        try:
            self._receive(conn, boot)
        finally:
            with self._cond:
                self._ended.add(boot)
                if self._conn is conn:
                    self._conn = None
                self._cond.notify_all()

    def _receive(self, conn: socket.socket, boot: int) -> None:
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
                                                           msg.get("data", {}),
                                                           bool(msg.get("held"))))
                    elif msg.get("type") in ("reply", "error"):
                        self._replies[msg.get("id")] = (msg, len(self.checkpoints), boot)
                    self._cond.notify_all()

    def send(self, msg: dict) -> int:
        """Send ``msg`` to the connected firmware; returns its boot."""
        with self._cond:
            conn, boot = self._conn, self.boots
        if conn is None:
            raise ControlError("the firmware is not connected to the rig interface")
        try:
            conn.sendall((json.dumps(msg) + "\n").encode())
        except OSError as e:
            raise ControlError(f"cannot reach the firmware: {e}") from e
        return boot

    # ------------------------------------------------------------------ queries
    def last(self, name: str | None = None) -> Checkpoint | None:
        with self._cond:
            for cp in reversed(self.checkpoints):
                if name is None or cp.name == name:
                    return cp
        return None

    def wait_for(self, name: str, timeout: float = 20.0, after: int = 0,
                 where: Callable[[dict], bool] | None = None, what: str = "",
                 **match: Any) -> Checkpoint:
        """The first checkpoint ``name`` with seq > ``after`` whose data matches ``match``
        and satisfies ``where`` (described by ``what`` in a timeout's message)."""
        cp = self._first(lambda c: c.name == name
                         and all(c.data.get(k) == v for k, v in match.items())
                         and (where is None or where(c.data)),
                         after, timeout, f"{name!r} {match or ''}{what}")
        assert cp is not None  # no stop event: it returns a checkpoint or raises
        return cp

    def _first(self, wanted: Callable[[Checkpoint], bool], after: int, timeout: float,
               what: str, gone: Callable[[], str] = lambda: "",
               stop: threading.Event | None = None) -> Checkpoint | None:
        """The first checkpoint after ``after`` that is ``wanted``; None once ``stop`` is
        set. Raises ``ControlError`` when ``timeout`` runs out or ``gone()`` says why none
        can come any more."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if stop is not None and stop.is_set():
                    return None
                for cp in self.checkpoints[after:]:
                    if wanted(cp):
                        return cp
                if why := gone():
                    raise ControlError(why)
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.name for c in self.checkpoints[after:]][-12:]
                    raise ControlError(f"no checkpoint {what} within {timeout}s; the "
                                       f"firmware reported {seen}")
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

    def ask(self, cmd: str, timeout: float = 10.0, **args: Any) -> Ack:
        """Send ``cmd`` and wait for the firmware's reply: its result, with where it came."""
        rid = next(self._ids)
        boot = self.send({"cmd": cmd, "id": rid, **args})
        deadline = time.monotonic() + timeout
        with self._cond:
            while rid not in self._replies:
                if boot in self._ended:
                    raise ControlError(f"the firmware's connection (boot {boot}) closed before "
                                       f"it answered {cmd!r}: the power went or it crashed")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ControlError(f"the firmware did not answer {cmd!r} within {timeout}s")
                self._cond.wait(left)
            reply, mark, boot = self._replies.pop(rid)
        if reply.get("type") == "error":
            raise ControlError(f"the firmware refused {cmd!r}: {reply.get('error')}")
        return Ack(reply.get("result"), mark, boot)

    def request(self, cmd: str, timeout: float = 10.0, **args: Any) -> Any:
        return self.ask(cmd, timeout, **args).result

    def status(self) -> dict:
        return self.request("status")

    def hold(self, *names: str, timeout: float = 10.0) -> Ack:
        """Hold exactly ``names`` from now on (none: hold nothing, and free the firmware
        wherever it is held). Returns once the firmware applied it: every checkpoint after
        ``Ack.mark`` was reached with this hold in place."""
        try:
            return self.ask("hold", timeout, names=list(names))
        except ControlError as e:
            raise ControlError(f"hold {list(names)} not acknowledged: {e}") from e

    def release(self, name: str, timeout: float = 10.0) -> int:
        """Let the firmware go on from ``name`` if it is held there; how many were freed
        (0: nothing was waiting there, and nothing is left to free a later hold)."""
        try:
            return int(self.ask("release", timeout, name=name).result["released"])
        except ControlError as e:
            raise ControlError(f"release {name!r} not acknowledged: {e}") from e

    def wait_reached(self, name: str, boot: int, after: int, timeout: float,
                     stop: threading.Event | None = None) -> Checkpoint | None:
        """The first ``name`` after ``after`` that boot ``boot`` reported; None once ``stop``
        is set (call ``wake()`` after setting it). Raises ``ControlError`` when ``timeout``
        runs out or that boot ended first."""
        return self._first(
            lambda c: c.name == name and c.boot == boot, after, timeout, repr(name),
            gone=lambda: (f"the firmware's boot {boot} ended before it reached {name!r}"
                          if boot in self._ended or self.boots > boot else ""),
            stop=stop)

    def wake(self) -> None:
        """Wake every waiter, so one whose ``stop`` event was set returns."""
        with self._cond:
            self._cond.notify_all()

    def clock_advance(self, seconds: float) -> None:
        self.send({"cmd": "clock", "advance": seconds})

    def clock_set(self, unix_time: float) -> None:
        """Set the firmware's wall clock (a boot starts it from the host's own time)."""
        self.send({"cmd": "clock", "set": unix_time})
