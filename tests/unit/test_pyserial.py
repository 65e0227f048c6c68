"""The firmware's serial port code is pyserial's own, not the fork labgrid brings along
(pyserial-labgrid installs the same `serial` package): every installed file of the package
matches pyserial's record of it."""

from __future__ import annotations

import base64
import hashlib
from importlib import metadata
from pathlib import Path

import serial


def test_the_serial_package_is_pyserials_files():
    dist = metadata.distribution("pyserial")
    checked = 0
    for f in dist.files or ():
        if f.hash is None or not str(f).startswith("serial/") or not str(f).endswith(".py"):
            continue
        digest = hashlib.new(f.hash.mode, Path(str(dist.locate_file(f))).read_bytes()).digest()
        assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == f.hash.value, f
        checked += 1
    assert checked > 20 and Path(serial.__file__).parent == \
        Path(str(dist.locate_file("serial/__init__.py"))).parent
