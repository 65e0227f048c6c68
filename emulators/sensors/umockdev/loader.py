"""Finding umockdev for the rig process: its GObject bindings and its preload library.

The rig process (the one that owns the testbed and answers the ioctls) needs PyGObject and
umockdev's introspection data; the firmware's process needs only the preload library in
``LD_PRELOAD``. The project's virtualenv has no PyGObject of its own: Debian's ``python3-gi``
is loaded from Debian's ``dist-packages`` when the interpreter can load it (same minor
version). Only ``gi`` is taken from there: the directory is on ``sys.path`` just for that
import, so nothing else of Debian's shadows or supplements the venv's packages.
"""

from __future__ import annotations

import ctypes.util
import functools
import sys
from typing import Any

DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"
PRELOAD_LIBRARY = "libumockdev-preload.so.0"
DEBIAN_PACKAGES = ("umockdev", "gir1.2-umockdev-1.0", "python3-gi")
INSTALL_HINT = (f"install the Debian packages {', '.join(DEBIAN_PACKAGES)} "
                f"(`make deps` does, as root), or PyGObject from PyPI for gi")


class UmockdevUnavailable(RuntimeError):
    """umockdev, its introspection data or PyGObject is missing; the message says what to
    install."""


def _import_gi() -> Any:
    try:
        import gi
    except ImportError:
        pass
    else:
        return gi
    added = DEBIAN_DIST_PACKAGES not in sys.path
    if added:
        sys.path.append(DEBIAN_DIST_PACKAGES)
    try:
        import gi
    except ImportError as exc:
        raise UmockdevUnavailable(
            f"cannot import gi (PyGObject) into Python {sys.version.split()[0]}: {exc}; "
            f"{INSTALL_HINT}. Debian's gi loads only into its own Python minor version "
            f"(python3-gi under {DEBIAN_DIST_PACKAGES})") from exc
    finally:
        if added:
            sys.path.remove(DEBIAN_DIST_PACKAGES)
    return gi


@functools.cache
def load_umockdev() -> Any:
    """The ``UMockdev`` namespace of gi.repository, after checking the preload library is
    installed too; raises :class:`UmockdevUnavailable` naming what is missing."""
    gi = _import_gi()
    try:
        gi.require_version("UMockdev", "1.0")
        from gi.repository import UMockdev
    except (ValueError, ImportError) as exc:
        raise UmockdevUnavailable(f"umockdev's GObject introspection data (UMockdev-1.0 "
                                  f"typelib) cannot be loaded: {exc}; {INSTALL_HINT}") from exc
    preload_library()
    return UMockdev


@functools.cache
def preload_library() -> str:
    """What the firmware's ``LD_PRELOAD`` names; the dynamic loader finds it by soname."""
    if ctypes.util.find_library("umockdev-preload") is None:
        raise UmockdevUnavailable(f"umockdev's preload library {PRELOAD_LIBRARY} is not in "
                                  f"the dynamic loader's cache; {INSTALL_HINT}")
    return PRELOAD_LIBRARY
