"""The ``/dev/NAME`` symlink that lets nfcpy's tty transport open a pseudo-terminal.

nfcpy resolves ``tty:NAME:pn532`` by listing ``/dev`` for exactly ``NAME`` (letters,
digits and ``-`` only), so ``/dev/pts/N`` is out of its reach; ``/dev/ttyCOFFEE<pid>x<n>
-> /dev/pts/N`` is not. The pid and a per-process counter keep names unique when several
machines run at once, in one process or many. Links left by a process that died without
closing are removed when the next one is made, so /dev does not fill up with them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from emulators.nfc.pn532.errors import DeviceNodeError

DEV = Path("/dev")
PREFIX = "ttyCOFFEE"
_NAME = re.compile(rf"^{PREFIX}(\d+)x\d+$")
_counter = itertools.count()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(dev: Path = DEV) -> list[str]:
    """Remove ``ttyCOFFEE*`` links whose process is gone; the names removed."""
    removed = []
    with contextlib.suppress(OSError), os.scandir(dev) as entries:
        for entry in entries:
            match = _NAME.match(entry.name)
            if match and entry.is_symlink() and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(entry.name)
    return removed


@dataclass(frozen=True)
class DeviceNode:
    """``path`` (``/dev/NAME``) -> ``target`` (``/dev/pts/N``); ``name`` goes in nfcpy's path."""

    name: str
    path: Path
    target: str

    @classmethod
    def create(cls, target: str, dev: Path = DEV) -> DeviceNode:
        sweep_stale(dev)
        for _ in range(1000):
            name = f"{PREFIX}{os.getpid()}x{next(_counter)}"
            path = dev / name
            try:
                os.symlink(target, path)
            except FileExistsError:
                continue
            except OSError as exc:
                raise DeviceNodeError(
                    f"cannot create {path} -> {target}: {exc.strerror or exc}. nfcpy's tty "
                    f"transport opens only /dev/NAME, so the rig needs write access to {dev} "
                    "(run it as root, or give its user write access there)") from exc
            return cls(name, path, target)
        raise DeviceNodeError(f"no free {PREFIX}{os.getpid()}x<n> name left in {dev}; remove "
                              f"stale {PREFIX}* links there")

    @property
    def device_path(self) -> str:
        """The nfcpy device path of a PN532 behind this node."""
        return f"tty:{self.name}:pn532"

    def remove(self) -> None:
        """Remove the link if it is still ours; idempotent."""
        try:
            if os.readlink(self.path) != self.target:
                return                       # replaced by someone else's link: not ours
        except OSError:
            return                           # gone already, or no longer a link
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise DeviceNodeError(f"cannot remove {self.path}: {exc.strerror or exc}") from exc
