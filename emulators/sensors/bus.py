"""The emulated I2C bus served on a Unix domain socket, for a firmware in another process.

Each client connection is served by its own thread; transfers from all connections are
serialised by the bus, as arbitration does on a real bus. A request frame is parsed in
full before anything reaches a device, so a client killed mid-frame (a power cut SIGKILLs
the firmware) leaves the devices untouched; a malformed frame is answered with EPROTO and
an explanation, then the connection is closed (the stream can no longer be trusted).
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import stat
import threading
import time
from collections import deque
from pathlib import Path
from types import TracebackType

from emulators.realtime import answer_promptly, serve_in_time
from emulators.sensors import wire
from emulators.sensors.device import I2CDevice
from emulators.sensors.errors import BusServerError, FrameError, TransferError
from emulators.sensors.transfer import EmulatedI2CBus, I2CMessage

_MAX_UNIX_PATH = 107


class _PeerGone(Exception):
    """The client closed or reset its end; ``received`` bytes of a frame were pending."""

    def __init__(self, received: int):
        super().__init__(received)
        self.received = received


class BusServer:
    """Serve ``bus`` (a new empty bus by default) at the Unix socket ``path``."""

    def __init__(self, path: str | os.PathLike[str], *, bus: EmulatedI2CBus | None = None,
                 frame_timeout: float = 1.0) -> None:
        self._path = Path(path)
        if len(os.fsencode(self._path)) > _MAX_UNIX_PATH:
            raise BusServerError(f"socket path {str(self._path)!r} is longer than the "
                                 f"{_MAX_UNIX_PATH} bytes AF_UNIX allows; use a shorter path")
        if frame_timeout <= 0:
            raise BusServerError(f"frame_timeout must be > 0 s, got {frame_timeout!r}")
        self.bus = bus if bus is not None else EmulatedI2CBus()
        self.frame_timeout = frame_timeout
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = -1, -1
        self._accept_thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._conns: dict[socket.socket, threading.Thread] = {}
        self._conns_lock = threading.Lock()
        self._events: deque[str] = deque(maxlen=200)
        self._accepted = 0
        self._closed = False

    # -- devices --------------------------------------------------------------------------

    def attach(self, device: I2CDevice, address: int | None = None) -> I2CDevice:
        """Put ``device`` at ``address`` (default: its model's address); allowed while
        serving, e.g. to plug a board in mid-run."""
        return self.bus.attach(device, address)

    def detach(self, address: int) -> I2CDevice:
        return self.bus.detach(address)

    def device(self, address: int) -> I2CDevice:
        return self.bus.device(address)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def spec(self) -> str:
        """The firmware's bus setting that reaches this server: ``unix:<path>``."""
        return f"unix:{self._path}"

    @property
    def events(self) -> tuple[str, ...]:
        """Recent connection-level events (bad frames, clients gone mid-frame), oldest
        first, for the rig's logs."""
        with self._conns_lock:
            return tuple(self._events)

    @property
    def connections(self) -> int:
        with self._conns_lock:
            return len(self._conns)

    def start(self) -> BusServer:
        if self._closed:
            raise BusServerError("this bus server was closed; create a new one")
        if self._listener is not None:
            return self
        if self._path.exists() or self._path.is_symlink():
            kind = "a stale socket" if stat.S_ISSOCK(self._path.lstat().st_mode) else "a file"
            raise BusServerError(f"{self._path} already exists ({kind}); remove it or choose "
                                 f"another socket path")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(os.fspath(self._path))
            listener.listen(16)
        except OSError as exc:
            listener.close()
            raise BusServerError(f"cannot listen on {self._path}: {exc}") from exc
        listener.setblocking(False)
        self._listener = listener
        self._wake_r, self._wake_w = os.pipe()
        answer_promptly()
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True,
                                               name=f"i2c-bus-accept:{self._path.name}")
        self._accept_thread.start()
        return self

    def close(self) -> None:
        """Stop serving: refuse new clients, drop current ones, remove the socket file."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        if self._accept_thread is not None:
            os.write(self._wake_w, b"x")
            self._accept_thread.join()
        with self._conns_lock:
            conns = list(self._conns.items())
        for conn, _ in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for _, thread in conns:
            thread.join(timeout=5.0)
        if self._listener is not None:
            self._listener.close()
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()

    def __enter__(self) -> BusServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- serving --------------------------------------------------------------------------

    def _note(self, event: str) -> None:
        with self._conns_lock:
            self._events.append(event)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self._listener, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._closing.is_set():
                for key, _ in sel.select():
                    if key.fileobj is not self._listener or self._closing.is_set():
                        continue
                    try:
                        conn, _ = self._listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    self._spawn(conn)

    def _spawn(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        self._accepted += 1
        thread = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                  name=f"i2c-bus-conn-{self._accepted}")
        with self._conns_lock:
            self._conns[conn] = thread
        thread.start()

    def _serve(self, conn: socket.socket) -> None:
        serve_in_time()
        try:
            while not self._closing.is_set():
                try:
                    messages = self._read_request(conn)
                except _PeerGone as gone:
                    if gone.received:
                        self._note(f"client disconnected mid-frame after {gone.received} "
                                   f"bytes; nothing was applied")
                    return
                except FrameError as exc:
                    self._note(f"bad frame: {exc}")
                    conn.sendall(wire.encode_result(errno.EPROTO, str(exc).encode()))
                    self._discard_pending(conn)
                    return
                try:
                    reply = wire.encode_result(0, b"".join(self.bus.transfer(messages)))
                except TransferError as exc:
                    reply = wire.encode_result(exc.errno, exc.detail.encode())
                conn.sendall(reply)
        except OSError as exc:
            self._note(f"client connection lost: {exc}")
        finally:
            with self._conns_lock:
                self._conns.pop(conn, None)
            conn.close()

    def _read_request(self, conn: socket.socket) -> list[I2CMessage]:
        """Read and decode one request: waits forever for its first byte, then at most
        ``frame_timeout`` for the rest."""
        conn.settimeout(None)
        first = self._recv(conn, 1, 0)
        deadline = time.monotonic() + self.frame_timeout
        start = first + self._recv_until(conn, 1, deadline, 1)
        wire.check_magic(start)
        header = start + self._recv_until(conn, wire.HEADER.size - 2, deadline, 2)
        length = wire.parse_header(header)
        body = self._recv_until(conn, length, deadline, wire.HEADER.size)
        return wire.parse_body(body)

    def _recv_until(self, conn: socket.socket, size: int, deadline: float,
                    received: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FrameError(
                    f"truncated frame: only {received + len(chunks)} bytes arrived within "
                    f"{self.frame_timeout} s (need {received + size})")
            conn.settimeout(remaining)
            try:
                chunks += self._recv(conn, size - len(chunks), received + len(chunks))
            except TimeoutError:
                continue
        return bytes(chunks)

    @staticmethod
    def _discard_pending(conn: socket.socket) -> None:
        """Drop unread request bytes before hanging up: closing a Unix socket with unread
        data resets the peer instead of giving it a clean end of stream."""
        conn.setblocking(False)
        dropped = 0
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while dropped < wire.MAX_BODY:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                dropped += len(chunk)

    @staticmethod
    def _recv(conn: socket.socket, size: int, received: int) -> bytes:
        try:
            data = conn.recv(size)
        except (ConnectionResetError, BrokenPipeError):
            raise _PeerGone(received) from None
        if not data:
            raise _PeerGone(received)
        return data
