"""The board's end of the serial cable: a pseudo-terminal pair in raw mode.

The firmware opens ``port`` (the slave, e.g. ``/dev/pts/7``) with pyserial exactly as it
would open ``/dev/ttyUSB0``. The board keeps its own descriptor on the slave open so that
the firmware closing and reopening the port (a Pi reboot) does not hang up the master.
"""

from __future__ import annotations

import os
import tty

OUTPUT_LIMIT = 4096


class PtyLink:
    """Non-blocking master side of a pty; ``port`` is the path the firmware opens."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        try:
            tty.setraw(self._slave)
            os.set_blocking(self._master, False)
            self.port = os.ttyname(self._slave)
        except OSError:
            self.close()
            raise
        self._pending = bytearray()
        self.overruns = 0

    def fileno(self) -> int:
        return self._master

    def read(self) -> bytes:
        """Whatever the firmware has written, possibly nothing."""
        try:
            return os.read(self._master, 4096)
        except BlockingIOError:
            return b""

    def write(self, data: bytes) -> None:
        """Queue bytes for the firmware; ``flush`` moves them as the pty accepts them.

        Like a UART without flow control, bytes beyond ``OUTPUT_LIMIT`` unsent are dropped
        (counted in ``overruns``) rather than blocking the board.
        """
        room = OUTPUT_LIMIT - len(self._pending)
        if len(data) > room:
            self.overruns += len(data) - max(room, 0)
            data = data[:max(room, 0)]
        self._pending += data
        self.flush()

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        while self._pending:
            try:
                sent = os.write(self._master, self._pending)
            except BlockingIOError:
                return
            del self._pending[:sent]

    def discard_output(self) -> None:
        """Forget queued bytes (the board lost power before sending them)."""
        self._pending.clear()

    def close(self) -> None:
        """Close both ends once; later calls do nothing (fd numbers get reused)."""
        fds, self._master, self._slave = (self._master, self._slave), -1, -1
        for fd in fds:
            if fd >= 0:
                os.close(fd)
