"""umockdev's ioctl handler for ``/dev/i2c-N``: the kernel's i2c-dev, in front of an emulated bus.

A client's ``open("/dev/i2c-N")`` under umockdev's preload library connects a socket to the
testbed; each ``ioctl``, ``read`` and ``write`` on that fd is sent to this handler, which runs
in the testbed's worker thread. Pointers in the argument (``i2c_rdwr_ioctl_data`` and its
messages' buffers, ``i2c_smbus_ioctl_data`` and its union) are followed with
``IoctlData.resolve``, which copies the client's memory over; updated blocks are copied back
when the request completes.

Semantics follow drivers/i2c/i2c-dev.c on a pure-I2C adapter: ``I2C_SLAVE`` only records the
address (nothing is on the wire until a transfer), ``I2C_FUNCS`` reports SMBus emulation,
``I2C_RDWR`` returns the number of messages, ``read``/``write`` are plain I2C messages to the
recorded address. Failures are the bus's errnos: ENXIO when nothing answers, EREMOTEIO for a
NACK, ETIMEDOUT when the bus does not complete a transfer within ``timeout`` (the kernel's
adapter timeout; the rig's socket bus says the same when its server does not answer).
"""

from __future__ import annotations

import contextlib
import errno
import sys
import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from emulators.realtime import serve_in_time
from emulators.sensors.errors import TransferError
from emulators.sensors.transfer import MAX_MESSAGE_LEN, EmulatedI2CBus, I2CMessage
from emulators.sensors.umockdev import abi, smbus
from emulators.sensors.umockdev.loader import load_umockdev

_IoctlBase: Any = load_umockdev().IoctlBase
from gi.repository import GLib  # noqa: E402 - gi is importable only after load_umockdev()


def _bytes(data: Any) -> bytes:
    """An ``IoctlData``'s contents (the bindings return a list of ints or bytes)."""
    return bytes(data.retrieve())


def _word(data: Any) -> int:
    return int.from_bytes(_bytes(data)[:abi.ULONG_SIZE], sys.byteorder)


class I2CDevHandler(_IoctlBase):
    """Serves every client of one ``/dev/i2c-N`` from ``bus``.

    ``timeout`` (seconds, None for no limit) bounds each transfer: a transfer the bus does
    not complete in time fails with ETIMEDOUT instead of stalling every client of the
    device, since all of them are answered by one worker thread.
    """

    def __init__(self, bus: EmulatedI2CBus, devnode: str, *, timeout: float | None = 1.0
                 ) -> None:
        super().__init__()
        if timeout is not None and not timeout > 0:
            raise ValueError(f"transfer timeout must be > 0 s or None, got {timeout!r}")
        self.bus = bus
        self.devnode = devnode
        self.timeout = timeout
        self._addresses: dict[Any, int] = {}   # client -> address of I2C_SLAVE (worker only)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._events: deque[str] = deque(maxlen=200)
        self._clients = 0
        self._prompt_threads: set[int] = set()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"i2c-dev-bus:{devnode}",
                                        initializer=serve_in_time) if timeout else None
        self._closed = False

    # -- rig side -------------------------------------------------------------------------

    @property
    def clients(self) -> int:
        """Opens of the device so far (each ``open`` is one client)."""
        with self._lock:
            return self._clients

    @property
    def requests(self) -> dict[str, int]:
        """Requests answered so far by name (``I2C_SMBUS``, ``read``, ...), failed included."""
        with self._lock:
            return dict(self._counts)

    @property
    def events(self) -> tuple[str, ...]:
        """Recent refusals and lost clients, oldest first, for the rig's logs."""
        with self._lock:
            return tuple(self._events)

    def close(self) -> None:
        """Stop the transfer thread; later requests fail with ENODEV."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # -- umockdev callbacks (worker thread) -----------------------------------------------

    def do_client_connected(self, client: Any) -> None:
        for gone in [c for c in self._addresses if not c.get_connected()]:
            del self._addresses[gone]
        self._addresses[client] = 0
        with self._lock:
            self._clients += 1

    def do_handle_ioctl(self, client: Any) -> bool:
        request = client.get_request()
        name = abi.REQUEST_NAMES.get(request, f"ioctl 0x{request:x}")
        return self._answer(client, name, lambda: self._ioctl(client, request))

    def do_handle_read(self, client: Any) -> bool:
        return self._answer(client, "read", lambda: self._read(client))

    def do_handle_write(self, client: Any) -> bool:
        return self._answer(client, "write", lambda: self._write(client))

    # -- requests -------------------------------------------------------------------------

    def _answer(self, client: Any, name: str, run: Callable[[], int]) -> bool:
        """Run one request and complete it with its result or errno; always handled."""
        native = threading.get_native_id()
        if native not in self._prompt_threads:
            self._prompt_threads.add(native)
            serve_in_time()
        with self._lock:
            self._counts[name] += 1
        try:
            if self._closed:
                raise TransferError(errno.ENODEV, f"{self.devnode} is being removed")
            result, code = run(), 0
        except TransferError as exc:
            result, code = -1, exc.errno
            if exc.errno not in (errno.ENXIO, errno.EREMOTEIO):   # bus faults are routine
                self._note(f"{name} refused: {exc}")
        except GLib.Error as exc:   # the client's memory could not be read: it is gone
            self._note(f"{name}: client lost mid-request ({exc.message})")
            result, code = -1, errno.EIO
        except Exception as exc:  # never leave a client blocked in its ioctl
            self._note(f"{name} failed in the handler: {exc!r}")
            result, code = -1, errno.EIO
        with contextlib.suppress(GLib.Error):
            client.complete(result, code)
        return True

    def _note(self, event: str) -> None:
        with self._lock:
            self._events.append(event)

    def _transfer(self, messages: Sequence[I2CMessage]) -> list[bytes]:
        if self._pool is None:
            return self.bus.transfer(messages)
        future = self._pool.submit(self.bus.transfer, messages)
        try:
            return future.result(self.timeout)
        except FutureTimeout:
            future.cancel()
            raise TransferError(errno.ETIMEDOUT, f"the bus did not complete the transfer "
                                                 f"within {self.timeout} s") from None

    @staticmethod
    def _resolve(data: Any, offset: int, length: int, what: str) -> Any:
        """The client memory a pointer inside ``data`` points to; EFAULT for NULL."""
        resolved = data.resolve(offset, length)
        if resolved is None:
            raise TransferError(errno.EFAULT, f"{what} is a NULL pointer")
        return resolved

    def _ioctl(self, client: Any, request: int) -> int:
        arg = client.get_arg()
        if request in (abi.I2C_SLAVE, abi.I2C_SLAVE_FORCE):
            address = _word(arg)
            if address > 0x7F:
                raise TransferError(errno.EINVAL, f"address 0x{address:x} is not a 7-bit "
                                                  f"address (10-bit addressing is off)")
            self._addresses[client] = address
            return 0
        if request == abi.I2C_FUNCS:
            out = self._resolve(arg, 0, abi.ULONG_SIZE, "I2C_FUNCS argument")
            out.update(0, abi.FUNCS.to_bytes(abi.ULONG_SIZE, sys.byteorder))
            return 0
        if request == abi.I2C_RDWR:
            return self._rdwr(arg)
        if request == abi.I2C_SMBUS:
            return self._smbus(arg, self._addresses.get(client, 0))
        if request in (abi.I2C_RETRIES, abi.I2C_TIMEOUT):
            return 0   # the emulated bus neither retries nor waits
        if request in (abi.I2C_TENBIT, abi.I2C_PEC):
            if _word(arg):
                raise TransferError(errno.EOPNOTSUPP, f"{abi.REQUEST_NAMES[request]} is not "
                                                      f"offered by this adapter (I2C_FUNCS)")
            return 0
        raise TransferError(errno.ENOTTY, f"ioctl 0x{request:x} is not an i2c-dev request")

    def _rdwr(self, arg: Any) -> int:
        head = self._resolve(arg, 0, abi.RDWR_SIZE, "I2C_RDWR argument")
        rdwr = abi.I2CRdwrIoctlData.from_buffer_copy(_bytes(head))
        count = rdwr.nmsgs
        if not rdwr.msgs or not 1 <= count <= abi.I2C_RDWR_IOCTL_MAX_MSGS:
            raise TransferError(errno.EINVAL, f"I2C_RDWR with {count} messages (1.."
                                              f"{abi.I2C_RDWR_IOCTL_MAX_MSGS} allowed)")
        table = self._resolve(head, abi.RDWR_MSGS_OFFSET, count * abi.MSG_SIZE,
                              "I2C_RDWR msgs")
        raw = _bytes(table)
        msgs = [abi.I2CMsg.from_buffer_copy(raw, i * abi.MSG_SIZE) for i in range(count)]
        messages: list[I2CMessage] = []
        buffers: list[Any] = []
        for index, msg in enumerate(msgs):
            where = f"I2C_RDWR message {index + 1} of {count} to 0x{msg.addr:02x}"
            if msg.flags & ~abi.I2C_M_RD:
                raise TransferError(errno.EOPNOTSUPP, f"{where}: flags 0x{msg.flags:04x} are "
                                                      f"not supported (only I2C_M_RD)")
            if msg.len > MAX_MESSAGE_LEN or msg.addr > 0x7F:
                raise TransferError(errno.EINVAL, f"{where}: {msg.len} bytes, or not a "
                                                  f"7-bit address")
            buf = self._resolve(table, index * abi.MSG_SIZE + abi.MSG_BUF_OFFSET, msg.len,
                                f"{where}: buf") if msg.len else None
            buffers.append(buf)
            if msg.flags & abi.I2C_M_RD:
                messages.append(I2CMessage.read(msg.addr, msg.len))
            else:
                messages.append(I2CMessage.write(msg.addr, _bytes(buf) if buf else b""))
        reads = iter(self._transfer(messages))
        for message, buf in zip(messages, buffers, strict=True):
            if message.is_read:
                data = next(reads)
                if buf is not None:
                    buf.update(0, data)
        return count

    def _smbus(self, arg: Any, address: int) -> int:
        head = self._resolve(arg, 0, abi.SMBUS_SIZE, "I2C_SMBUS argument")
        req = abi.I2CSmbusIoctlData.from_buffer_copy(_bytes(head))
        union, data = b"", None
        if smbus.needs_union(req.read_write, req.size):
            if not req.data:
                raise TransferError(errno.EINVAL, "I2C_SMBUS without data")
            data = self._resolve(head, abi.SMBUS_DATA_OFFSET, abi.I2C_SMBUS_DATA_SIZE,
                                 "I2C_SMBUS data")
            union = _bytes(data)
        transfer = smbus.plan(address, req.read_write, req.command, req.size, union)
        reply = transfer.union_bytes(self._transfer(transfer.messages))
        if reply and data is not None:
            data.update(0, reply)
        return 0

    def _read(self, client: Any) -> int:
        buf = client.get_arg()
        length = min(len(_bytes(buf)), MAX_MESSAGE_LEN)   # i2c-dev caps read() at 8192
        address = self._addresses.get(client, 0)
        (data,) = self._transfer([I2CMessage.read(address, length)])
        if data:
            buf.update(0, data)
        return length

    def _write(self, client: Any) -> int:
        data = _bytes(client.get_arg())[:MAX_MESSAGE_LEN]   # as i2c-dev caps write()
        self._transfer([I2CMessage.write(self._addresses.get(client, 0), data)])
        return len(data)
