"""A umockdev testbed with one ``/dev/i2c-N`` whose ioctls an emulated I2C bus answers.

The process that creates it (the rig) needs no wrapper: umockdev's worker thread answers
the device from here. Only the client (the firmware) runs under umockdev, with the
environment :meth:`I2CDevTestbed.client_env` gives; there, unmodified smbus2 opens
``/dev/i2c-N`` and its ioctls reach :class:`~emulators.sensors.umockdev.handler.I2CDevHandler`.
To the client the device node is a pseudo-terminal (``stat`` shows rdev 0:0) that umockdev
redirects; ``/sys`` is the testbed's too, otherwise empty.

A listing of ``/dev`` in the client is the testbed's, so a host device the client looks for
by listing ``/dev`` (nfcpy's tty transport does) must be shared with
:meth:`I2CDevTestbed.share_device`; other host nodes the client opens by name (the brew
board's ``/dev/pts/N``) need nothing: they stay the kernel's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any

from emulators.realtime import answer_promptly
from emulators.sensors.transfer import EmulatedI2CBus
from emulators.sensors.umockdev.loader import load_umockdev, preload_library

I2C_DEV_MAJOR = 89
ENV = "UMOCKDEV_DIR"
# The first component of a shared entry's link target (see share_device); relative to the
# link's directory, where umockdev never makes a directory of that name, so it resolves
# nowhere.
SHARED_TARGET = "host:"


def _description(number: int) -> str:
    """The adapter's i2c-dev node as umockdev-record writes one: ``N:`` makes the device
    node (a pseudo-terminal umockdev redirects ``/dev/i2c-N`` to)."""
    name = f"i2c-{number}"
    return (f"P: /devices/platform/{name}/i2c-dev/{name}\n"
            f"N: {name}\n"
            f"E: DEVNAME=/dev/{name}\n"
            f"E: SUBSYSTEM=i2c-dev\n"
            f"E: MAJOR={I2C_DEV_MAJOR}\n"
            f"E: MINOR={number}\n"
            f"A: name=coffeepay emulated sensor bus\n"
            f"A: dev={I2C_DEV_MAJOR}:{number}\n")


def _dev_components(path: str) -> list[str]:
    """The components of ``path`` after ``/dev/``; ``ValueError`` unless it is a plain
    absolute path below ``/dev``."""
    if not isinstance(path, str) or not path.startswith("/dev/") \
            or posixpath.normpath(path) != path:
        raise ValueError(f"not a device path below /dev/: {path!r}")
    return path[len("/dev/"):].split("/")


def _is_shared(entry: Path) -> bool:
    try:
        target = os.readlink(entry)
    except OSError:
        return False
    return target.split("/", 1)[0] == SHARED_TARGET


class I2CDevTestbed:
    """``/dev/i2c-<number>`` in a new testbed, served from ``bus`` (a new empty one by
    default); ``timeout`` bounds each transfer (see the handler). Raises
    :class:`~emulators.sensors.umockdev.loader.UmockdevUnavailable` saying what to install
    when umockdev cannot be used here. ``close()`` removes the testbed directory."""

    def __init__(self, bus: EmulatedI2CBus | None = None, number: int = 1, *,
                 timeout: float | None = 1.0) -> None:
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"I2C bus number must be an integer >= 0, got {number!r}")
        umockdev = load_umockdev()
        from emulators.sensors.umockdev.handler import I2CDevHandler

        self.bus = bus if bus is not None else EmulatedI2CBus()
        self.number = number
        self.devnode = f"/dev/i2c-{number}"
        self._closed = False
        self._testbed: Any = None
        self.handler: Any = None
        # A testbed exports UMOCKDEV_DIR into this process's environment (for programs it
        # would start under umockdev-wrapper); the rig passes it to the firmware explicitly
        # instead, so the rig's other children and a second testbed are not affected.
        self._env_before = os.environ.get(ENV)
        try:
            self._testbed = umockdev.Testbed.new()
        finally:
            self._restore_env()
        self.root = Path(self._testbed.get_root_dir())
        # umockdev's fallback handler would be sent the ioctls of every other /dev node the
        # client opens; umockdev 0.17 answers terminal ioctls there with ENOTTY, which
        # breaks the firmware's serial port to the brew board. Without its socket the
        # preload library leaves other nodes' ioctls to the kernel.
        (self.root / "ioctl" / "_default").unlink(missing_ok=True)
        try:
            self._testbed.add_from_string(_description(number))
            self.handler = I2CDevHandler(self.bus, self.devnode, timeout=timeout)
            self._testbed.attach_ioctl(self.devnode, self.handler)
        except BaseException:
            self.close()
            raise
        answer_promptly()

    def share_device(self, path: str) -> None:
        """Let the client find the host's device node ``path`` (``/dev/NAME``, e.g. a symlink
        to a pseudo-terminal, or ``/dev/pts/N``) in its listing of ``/dev`` and use it as the
        real device: open, ``stat``, termios and every other ioctl, reads and writes all go
        to the kernel, not to umockdev. Sharing a path again, or one below a shared
        directory, does nothing; the entry is removed with the testbed.

        Raises ``ValueError`` for a path not under ``/dev/`` or one the testbed emulates,
        ``FileNotFoundError`` when the host has no such node."""
        if self._closed:
            raise RuntimeError("the testbed is closed")
        parts = _dev_components(path)
        # umockdev's preload library gives the client the testbed's dev/ for a listing of
        # /dev, but sends a path /dev/X to the testbed only when access(<root>/dev/X, F_OK)
        # succeeds there; otherwise the path is the host's. A testbed entry that access()
        # cannot follow, a symlink that resolves nowhere, is therefore listed and nothing
        # more. (A symlink to the node itself would be followed: the client would take the
        # path for an emulated device and exit at open, as no ioctl socket of the testbed
        # answers it.) For /dev/DIR/.../NAME the entry is the first component the testbed
        # does not have, so everything below it is the host's too.
        entry = self.root / "dev"
        for depth, part in enumerate(parts, 1):
            entry = entry / part
            if _is_shared(entry):
                return
            if not os.path.lexists(entry):
                if not os.path.exists(path):
                    raise FileNotFoundError(errno.ENOENT, "no such device node on the host",
                                            path)
                target = posixpath.join(SHARED_TARGET, "dev", *parts[:depth])
                try:
                    os.symlink(target, entry)
                except FileExistsError:
                    if _is_shared(entry):   # shared meanwhile from another thread
                        return
                    raise
                if os.path.exists(entry):   # would be followed: the client would break
                    entry.unlink()
                    raise RuntimeError(f"{entry} -> {target} resolves in the testbed; "
                                       f"cannot share {path}")
                return
            if depth == len(parts) or entry.is_symlink() or not entry.is_dir():
                break
        raise ValueError(f"{path} is emulated by the testbed ({entry} exists); "
                         "it cannot be shared")

    @property
    def shared_devices(self) -> tuple[str, ...]:
        """The ``/dev`` entries shared with the client (see :meth:`share_device`): the paths
        shared, or the host directories holding them."""
        if self._closed:
            return ()
        dev = self.root / "dev"
        found = []
        for directory, dirs, files in os.walk(dev):
            for name in dirs + files:
                entry = Path(directory, name)
                if _is_shared(entry):
                    found.append("/dev/" + entry.relative_to(dev).as_posix())
        return tuple(sorted(found))

    def client_env(self) -> dict[str, str]:
        """What the client's process needs in its environment, from its start (the
        dynamic loader reads ``LD_PRELOAD`` only when the program is executed)."""
        return {"LD_PRELOAD": preload_library(), ENV: str(self.root)}

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop answering the device and remove the testbed directory. umockdev 0.17 keeps
        its worker's main context and two listening sockets open after the testbed is gone
        (three descriptors per testbed, for the life of the process)."""
        if self._closed:
            return
        self._closed = True
        testbed, self._testbed = self._testbed, None
        if testbed is not None:
            if self.handler is not None:
                with contextlib.suppress(Exception):
                    testbed.detach_ioctl(self.devnode)
                with contextlib.suppress(Exception):   # the pty's master end
                    fd = testbed.get_dev_fd(self.devnode)
                    if fd >= 0:
                        os.close(fd)
            root = Path(testbed.get_root_dir())
            del testbed   # the last reference: umockdev stops its worker and unsets ENV
            shutil.rmtree(root, ignore_errors=True)
            self._restore_env()
        if self.handler is not None:
            self.handler.close()

    def _restore_env(self) -> None:
        if self._env_before is None:
            os.unsetenv(ENV)
        else:
            os.putenv(ENV, self._env_before)

    def __enter__(self) -> I2CDevTestbed:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
