"""The rig interface (test mode only): checkpoints, status, clock and commands.

The firmware connects to the rig at boot and speaks JSON lines: ``[test] control`` is the
rig's Unix socket (a path), or ``tcp:HOST:PORT`` where the rig's socket is carried to the
firmware's computer over TCP (an SSH forward on the Pi's loopback). At each named
checkpoint of the payment path it reports ``{"type": "checkpoint", ...}``; a checkpoint the rig
asked to hold blocks the firmware there until ``{"cmd": "release"}``, so the rig can cut the
power at exactly that point. Without a ``[test]`` section every call here is a no-op.

``hold`` and ``release`` are acknowledged (a ``reply`` with the request's ``id``), and the
acknowledgement is ordered with the checkpoint reports: every checkpoint reported after the
reply to a ``hold`` was reached with that hold in place. A release only frees a thread that
is waiting (it never leaves a token for a later hold), and a ``hold`` that drops a name frees
the threads held there, so the rig can end a hold whether or not the firmware got there.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Callable
from typing import Any

from firmware.clock import Clock
from firmware.log import log

CHECKPOINTS = (
    "booted", "tap", "tap-done", "receipt-recovered", "receipt-signed", "receipt-persisted",
    "brew-started", "brew-done", "brew-failed", "credit-granted",
    "redeem-signed", "redeem-broadcast", "redeem-mined", "redeem-confirmed",
    "tx-signed", "tx-broadcast", "tx-confirmed", "synced",
)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
"""What ``X:...`` in ``[test] control`` would be if it were a URL's scheme, not a path."""


class RigPort:
    """Production: inert. Test mode: a connected, thread-safe reporter and command reader."""

    def __init__(self, path: str | None, hold: tuple[str, ...], clock: Clock):
        self.clock = clock
        self._hold = set(hold)
        self._sock: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._held = threading.Condition()   # guards _hold, _waiting, _tokens; orders reports
        self._waiting: dict[str, int] = {}   # threads blocked at each checkpoint
        self._tokens: dict[str, int] = {}    # releases granted to them, never more than waiting
        self.handlers: dict[str, Callable[[dict], Any]] = {}
        if path is None:
            return
        unknown = self._hold - set(CHECKPOINTS)
        if unknown:
            raise ValueError(f"[test] hold names unknown checkpoints {sorted(unknown)}; "
                             f"known: {', '.join(CHECKPOINTS)}")
        self._sock = connect(path)
        threading.Thread(target=self._reader, name="rigport", daemon=True).start()

    @property
    def active(self) -> bool:
        return self._sock is not None

    def send(self, msg: dict) -> None:
        if self._sock is None:
            return
        data = (json.dumps(msg, default=_jsonable) + "\n").encode()
        with self._send_lock, contextlib.suppress(OSError):
            self._sock.sendall(data)

    def checkpoint(self, name: str, **data: Any) -> None:
        """Report reaching ``name``; block while the rig holds it."""
        if self._sock is None:
            return
        assert name in CHECKPOINTS, name
        with self._held:
            held = name in self._hold
            if held:
                self._waiting[name] = self._waiting.get(name, 0) + 1
            self.send({"type": "checkpoint", "name": name, "held": held, "data": data})
            if not held:
                return
            self._held.wait_for(lambda: self._tokens.get(name, 0) > 0)
            self._tokens[name] -= 1
            self._waiting[name] -= 1

    def _reader(self) -> None:
        assert self._sock is not None
        buf = b""
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                return
            if not chunk:
                log("rigport-closed")
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    self._handle(json.loads(line))
                except Exception as e:  # a bad command must never kill the firmware
                    log("rigport-bad-command", error=repr(e), line=line[:200])

    def _handle(self, msg: dict) -> None:
        cmd = msg.get("cmd")
        if cmd == "release":
            with self._held:
                released = self._free(msg["name"], 1)
                self._ack(msg, {"released": released})
        elif cmd == "hold":
            names = set(msg["names"])
            unknown = names - set(CHECKPOINTS)
            if unknown:
                self.send({"type": "error", "id": msg.get("id"),
                           "error": f"unknown checkpoints {sorted(unknown)}"})
                return
            with self._held:
                self._hold = names
                released = sum(self._free(n, self._waiting[n]) for n in list(self._waiting)
                               if n not in names)
                self._ack(msg, {"held": sorted(names), "released": released})
        elif cmd == "clock":
            if "set" in msg:
                self.clock.set(float(msg["set"]))
            else:
                self.clock.advance(float(msg["advance"]))
        elif cmd in self.handlers:
            reply = self.handlers[cmd](msg)
            self.send({"type": "reply", "id": msg.get("id"), "cmd": cmd, "result": reply})
        else:
            self.send({"type": "error", "id": msg.get("id"), "error": f"unknown cmd {cmd!r}"})

    def _free(self, name: str, count: int) -> int:
        """With ``_held`` held: let up to ``count`` threads waiting at ``name`` go on."""
        granted = min(count, self._waiting.get(name, 0) - self._tokens.get(name, 0))
        if granted > 0:
            self._tokens[name] = self._tokens.get(name, 0) + granted
            self._held.notify_all()
        return max(granted, 0)

    def _ack(self, msg: dict, result: dict) -> None:
        """Acknowledge a hold or release the rig asked for with an ``id``."""
        if "id" in msg:
            self.send({"type": "reply", "id": msg["id"], "cmd": msg.get("cmd"),
                       "result": result})


def parse_control(spec: str) -> str | tuple[str, int]:
    """``[test] control`` as what to connect to: a Unix socket's path, or ``(host, port)``
    from ``tcp:HOST:PORT`` (an IPv6 host in brackets, ``tcp:[::1]:PORT``)."""
    scheme, colon, rest = spec.partition(":")
    if scheme == "tcp" and colon:
        host, colon, port = rest.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if colon and host and port.isascii() and port.isdigit() and 0 < int(port) < 65536:
            return host, int(port)
        raise ValueError(f"[test] control {spec!r}: write tcp:HOST:PORT with a port from 1 to "
                         "65535 (e.g. tcp:127.0.0.1:40123)")
    if not spec or (colon and _SCHEME.fullmatch(scheme)):
        raise ValueError(f"[test] control {spec!r} is neither a Unix socket's path "
                         "(/tmp/cp-x/rig.sock) nor tcp:HOST:PORT")
    return spec


def connect(spec: str) -> socket.socket:
    """A connected stream socket to the rig, as ``[test] control`` names it."""
    where = parse_control(spec)
    if isinstance(where, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(where)
        except OSError:
            sock.close()
            raise
        return sock
    sock = socket.create_connection(where)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # each line goes at once
    return sock


def _jsonable(o: Any) -> Any:
    if isinstance(o, bytes):
        return "0x" + o.hex()
    if hasattr(o, "__dict__"):
        return o.__dict__
    return str(o)
