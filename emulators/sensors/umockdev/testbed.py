"""A umockdev testbed with one ``/dev/i2c-N`` whose ioctls an emulated I2C bus answers.

The process that creates it (the rig) needs no wrapper: umockdev's worker thread answers
the device from here. Only the client (the firmware) runs under umockdev, with the
environment :meth:`I2CDevTestbed.client_env` gives; there, unmodified smbus2 opens
``/dev/i2c-N`` and its ioctls reach :class:`~emulators.sensors.umockdev.handler.I2CDevHandler`.
To the client the device node is a pseudo-terminal (``stat`` shows rdev 0:0) that umockdev
redirects; ``/sys`` is the testbed's too, otherwise empty.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any

from emulators.realtime import answer_promptly
from emulators.sensors.transfer import EmulatedI2CBus
from emulators.sensors.umockdev.loader import load_umockdev, preload_library

I2C_DEV_MAJOR = 89
ENV = "UMOCKDEV_DIR"


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
