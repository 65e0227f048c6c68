"""Host devices shared into the ``umockdev-i2c`` part's testbed: a process under umockdev's
preload library (the firmware's environment) lists them in ``/dev`` and uses them as the
real devices, next to the emulated ``/dev/i2c-1``; nfcpy's tty transport finds and drives
the emulated PN532 there."""

from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
import termios
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.nfc import Field
from emulators.nfc.pn532 import DeviceNode, EmulatedPn532
from rig.hardware.parts.sensors_i2c_dev import UmockdevI2CSensors
from rig.hardware.registry import PartContext

pytestmark = pytest.mark.skipif(not os.access("/dev", os.W_OK),
                                reason="the /dev/ttyCOFFEE* links need write access to /dev")

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 20.0

# Lists /dev, then opens argv[1] as a raw terminal, says "ping", and waits for "pong".
TERMINAL_CLIENT = """
import json, os, sys, termios, tty
path = sys.argv[1]
listed = sorted(os.listdir("/dev"))
fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
attrs = termios.tcgetattr(fd)
os.write(fd, b"ping")
answer = b""
while len(answer) < 4:
    answer += os.read(fd, 4 - len(answer))
print(json.dumps({"listed": listed, "isatty": os.isatty(fd), "ttyname": os.ttyname(fd),
                  "icanon": bool(attrs[3] & termios.ICANON), "answer": answer.decode()}))
"""

# Opens the chip as the firmware does, senses the empty field, and reads the TMP102 on the
# emulated /dev/i2c-1 from the same process.
NFCPY_CLIENT = """
import json, sys, termios
import nfc, nfc.clf
from smbus2 import SMBus
clf = nfc.ContactlessFrontend(sys.argv[1])
try:
    found = {"path": clf.device.path, "chipset": clf.device.chipset_name,
             "at_921600": termios.tcgetattr(clf.device.chipset.transport.tty.fd)[5]
                          == termios.B921600,
             "sensed": clf.sense(nfc.clf.RemoteTarget("106A")) is not None}
finally:
    clf.close()
with SMBus(1) as bus:
    found["tmp102"] = bus.read_word_data(0x48, 0)
print(json.dumps(found))
"""


@pytest.fixture
def part(tmp_path: Path) -> Iterator[UmockdevI2CSensors]:
    made = UmockdevI2CSensors(PartContext(tmp_path, tmp_path, random.Random(1)))
    yield made
    made.close()


@pytest.fixture
def terminal() -> Iterator[tuple[int, int, DeviceNode]]:
    """A pty (master, slave) and a ``/dev/ttyCOFFEE…`` link to its slave, as the PN532
    part's."""
    master, slave = os.openpty()
    node = DeviceNode.create(os.ttyname(slave))
    try:
        yield master, slave, node
    finally:
        node.remove()
        os.close(master)
        os.close(slave)


def _start(part: UmockdevI2CSensors, code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **part.firmware_env()})


def _result(proc: subprocess.Popen[str]) -> Any:
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    assert proc.returncode == 0, f"the client failed ({proc.returncode}):\n{err}"
    return json.loads(out)


def _read(master: int, count: int) -> bytes:
    data = b""
    while len(data) < count:
        ready, _, _ = select.select([master], [], [], TIMEOUT)
        assert ready, f"the pty's master got {data!r} only"
        data += os.read(master, count - len(data))
    return data


def _listing(part: UmockdevI2CSensors) -> list[str]:
    code = "import json, os; print(json.dumps(sorted(os.listdir('/dev'))))"
    return _result(_start(part, code))


def test_a_shared_pty_link_is_listed_and_is_the_real_terminal(part, terminal):
    master, slave, node = terminal
    assert node.name not in _listing(part)
    assert termios.tcgetattr(slave)[3] & termios.ICANON
    part.share_devices([str(node.path), node.device_path, "/tmp"])   # the last two ignored
    proc = _start(part, TERMINAL_CLIENT, str(node.path))
    assert _read(master, 4) == b"ping"
    os.write(master, b"pong")
    seen = _result(proc)
    assert node.name in seen["listed"] and "i2c-1" in seen["listed"]
    assert seen["isatty"] and seen["ttyname"] == node.target
    assert not seen["icanon"]
    assert not termios.tcgetattr(slave)[3] & termios.ICANON   # its tcsetattr reached the pty
    assert seen["answer"] == "pong"
    assert part.testbed.shared_devices == (str(node.path),)


def test_sharing_is_idempotent_covers_pts_and_refuses_emulated_or_absent_nodes(part):
    testbed = part.testbed
    master, slave = os.openpty()
    try:
        pts = os.ttyname(slave)
        part.share_devices([pts, pts])
        testbed.share_device(pts)
        assert testbed.shared_devices == ("/dev/pts",)   # the host's whole /dev/pts
        proc = _start(part, TERMINAL_CLIENT, pts)
        assert _read(master, 4) == b"ping"
        os.write(master, b"pong")
        seen = _result(proc)
        assert "pts" in seen["listed"] and seen["ttyname"] == pts and seen["answer"] == "pong"
        with pytest.raises(ValueError, match="emulated by the testbed"):
            testbed.share_device("/dev/i2c-1")
        with pytest.raises(FileNotFoundError):
            testbed.share_device("/dev/ttyCOFFEEnothing")
        for bad in ("/dev", "/dev/", "/dev/../etc/passwd", "dev/null", "/tmp/x"):
            with pytest.raises(ValueError, match="not a device path"):
                testbed.share_device(bad)
    finally:
        os.close(master)
        os.close(slave)
    root = testbed.root
    part.close()
    assert not root.exists() and testbed.shared_devices == ()
    with pytest.raises(RuntimeError, match="closed"):
        testbed.share_device("/dev/null")


def test_nfcpy_opens_the_emulated_pn532_under_the_preload_once_shared(part):
    with Field(random.Random(7)) as field, EmulatedPn532(("127.0.0.1", field.port)) as chip:
        unshared = _result(_start(part, "import os, json, sys, nfc\n"
                                        "try:\n    nfc.ContactlessFrontend(sys.argv[1])\n"
                                        "except OSError as e:\n    print(json.dumps(e.errno))",
                                  chip.device_path))
        assert unshared == 19                            # ENODEV: not in the testbed's /dev
        part.share_devices([chip.port])
        found = _result(_start(part, NFCPY_CLIENT, chip.device_path))
        assert found["path"] == chip.port and found["chipset"] == "PN532v1.6"
        assert found["at_921600"]            # the driver switched the line up, by termios
        assert found["sensed"] is False
        assert found["tmp102"] != 0
        assert chip.chip.commands["InListPassiveTarget"] >= 1 and not chip.stats.rejected
