"""The emulated sensor chips on a real /dev/i2c-N: unmodified smbus2 in another process, its
ioctls answered through umockdev by the ``umockdev-i2c`` sensors part.

Each client is a separate process started with the part's ``firmware_env()`` only, as the
firmware is (``i2c_dev_client.py``); the test process owns the testbed and the chips.
"""

from __future__ import annotations

import errno
import json
import os
import random
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.sensors import DeviceFault, EmulatedI2CBus, SensorBoard
from emulators.sensors.umockdev import I2CDevTestbed, UmockdevUnavailable, loader
from firmware.sensors.tmp102 import decode_temperature
from firmware.sensors.words import swap16
from rig.hardware.parts.sensors_i2c_dev import UmockdevI2CSensors
from rig.hardware.protocols import FirmwareEnvironment, capabilities_of
from rig.hardware.registry import PartContext, factory

REPO = Path(__file__).resolve().parents[2]
CLIENT = Path(__file__).with_name("i2c_dev_client.py")
TMP102, INA219, STATUS_MCU, NOBODY = 0x48, 0x40, 0x42, 0x11
ANSWER_TIMEOUT = 10.0


class Client:
    """One client process of /dev/i2c-<bus>; calling it sends a request (see the client)."""

    def __init__(self, env: dict[str, str], logs: Path, bus: int = 1) -> None:
        self.log = logs / f"i2c-client-{time.monotonic_ns()}.log"
        with self.log.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(CLIENT), str(bus)], cwd=REPO, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                env={**os.environ, **env, "PYTHONPATH": str(REPO)})
        self.hello = self._answer()

    def __call__(self, **request: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def _answer(self) -> Any:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            ready = sel.select(ANSWER_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.kill()
            raise AssertionError(f"the client gave no answer; its stderr:\n"
                                 f"{self.log.read_text()}")
        reply = json.loads(line)
        if "errno" in reply:
            raise OSError(reply["errno"], reply["error"])
        return reply["ok"]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def part(tmp_path: Path) -> Iterator[UmockdevI2CSensors]:
    made = UmockdevI2CSensors(PartContext(tmp_path, tmp_path, random.Random(1)))
    yield made
    made.close()


@pytest.fixture
def client(part: UmockdevI2CSensors, tmp_path: Path) -> Iterator[Client]:
    c = Client(part.firmware_env(), tmp_path)
    yield c
    c.close()


def _errno(call: Any) -> int:
    with pytest.raises(OSError) as caught:
        call()
    return caught.value.errno


def _temperature(client: Client) -> float:
    return decode_temperature(swap16(client(call="read_word_data", args=[TMP102, 0x00])))


def test_the_part_kind_is_registered_with_its_config_and_capabilities(part):
    assert factory("sensors", "umockdev-i2c") is UmockdevI2CSensors
    assert part.config() == {"bus": 1, "interval": 0.2}
    assert part.describe() == {"driver": "smbus2 i2c-dev via umockdev", "device": "/dev/i2c-1"}
    env = part.firmware_env()
    assert env == {"LD_PRELOAD": "libumockdev-preload.so.0",
                   "UMOCKDEV_DIR": str(part.testbed.root)}
    assert isinstance(part, FirmwareEnvironment)
    # whatever the socket-bus kind offers faults and steps, this kind offers too
    assert capabilities_of(factory("sensors", "emulated-bus")) <= capabilities_of(part)
    assert part.board.devices() == tuple(part.bus.devices()[a] for a in (TMP102, INA219,
                                                                          STATUS_MCU))


def test_smbus2_reads_the_tmp102_and_the_ina219(part, client):
    part.set_temperature(93.5)
    part.board.ina219.set_bus_voltage(24.2)
    assert _temperature(client) == 93.5
    assert swap16(client(call="read_word_data", args=[INA219, 0x00])) == 0x399F  # power-on
    bus_v = swap16(client(call="read_word_data", args=[INA219, 0x02])) >> 3
    assert bus_v * 0.004 == pytest.approx(24.2)
    part.set_temperature(21.0)
    assert _temperature(client) == 21.0


def test_smbus2_byte_block_and_quick_transactions(part, client):
    part.select_product(0x0102)
    regs = client(call="read_i2c_block_data", args=[STATUS_MCU, 0x00, 12])
    assert regs[0] == 0xC5 and regs[10:12] == [0x01, 0x02]
    assert client(call="read_byte_data", args=[STATUS_MCU, 0x00]) == 0xC5
    client(call="write_byte_data", args=[STATUS_MCU, 0x07, 20])   # grounds limit
    assert client(call="read_byte_data", args=[STATUS_MCU, 0x07]) == 20
    client(call="write_i2c_block_data", args=[STATUS_MCU, 0x07, [9]])
    assert part.board.status_mcu.registers()[0x07] == 9
    client(call="write_word_data", args=[TMP102, 0x02, swap16(0x4000)])   # TLOW 64 °C
    assert part.board.tmp102.register(0x02) == 0x4000
    client(call="write_byte", args=[STATUS_MCU, 0x04])   # pointer to WATER_LEVEL
    assert client(call="read_byte", args=[STATUS_MCU]) == 100
    client(call="write_quick", args=[INA219])
    funcs = client.hello["funcs"]
    assert funcs & 0x0001 and funcs & 0x00600000   # plain I2C, SMBus word read and write
    assert not funcs & 0x01000000                  # no SMBus block read: I2C_M_RECV_LEN
    assert _errno(lambda: client(call="read_block_data", args=[STATUS_MCU, 0])) \
        == errno.EOPNOTSUPP


def test_i2c_rdwr_runs_one_combined_transfer(part, client):
    part.set_temperature(-12.25)
    part.select_product(7)
    before = part.bus.transfers
    temp, regs = client(rdwr=[["w", TMP102, [0x00]], ["r", TMP102, 2],
                              ["w", STATUS_MCU, [0x00]], ["r", STATUS_MCU, 12]])
    assert part.bus.transfers == before + 1
    assert decode_temperature(temp[0] << 8 | temp[1]) == -12.25
    assert regs[0] == 0xC5 and regs[11] == 7


def test_the_firmware_sensor_monitor_reads_the_chips_over_dev_i2c(part, client):
    part.set_temperature(92.0)
    part.board.ina219.set_current(3.0)
    snap = client(monitor=True)
    assert snap["boiler_c"] == 92.0
    assert snap["heater_a"] == pytest.approx(3.0, abs=0.01)
    assert snap["water_pct"] == 100
    assert set(snap["health"].values()) == {"ok"}


def test_an_absent_address_is_enxio_as_from_the_kernel(client):
    assert _errno(lambda: client(call="read_byte_data", args=[NOBODY, 0])) == errno.ENXIO
    assert _errno(lambda: client(call="write_quick", args=[NOBODY])) == errno.ENXIO
    assert _errno(lambda: client(rdwr=[["r", NOBODY, 1]])) == errno.ENXIO
    client(call="write_quick", args=[TMP102])   # the bus itself is fine


def test_a_missing_chip_is_enxio_until_healed(part, client):
    part.inject_chip("ina219", DeviceFault.MISSING)
    assert _errno(lambda: client(call="read_word_data", args=[INA219, 0x00])) == errno.ENXIO
    assert _temperature(client) == 21.0   # the other chips still answer
    part.heal_chip("ina219", DeviceFault.MISSING)
    assert swap16(client(call="read_word_data", args=[INA219, 0x00])) == 0x399F


def test_a_nack_is_eremoteio(part, client):
    part.inject_chip("tmp102", DeviceFault.NACK)
    assert _errno(lambda: client(call="read_word_data", args=[TMP102, 0])) == errno.EREMOTEIO
    part.heal_chip("tmp102")
    assert _temperature(client) == 21.0
    # a data byte the chip refuses: a pointer past the status MCU's last register
    assert _errno(lambda: client(call="write_byte_data", args=[STATUS_MCU, 0x20, 0])) \
        == errno.EREMOTEIO


def test_the_clients_other_terminals_keep_their_kernel_ioctls(client):
    master, slave = os.openpty()   # like the brew board's port, opened by the firmware too
    try:
        assert client(tty=os.ttyname(slave)) == 0   # not ENOTTY: the kernel answered
    finally:
        os.close(master)
        os.close(slave)


def test_a_sigkilled_client_leaves_the_device_serving_the_next(part, tmp_path):
    first = Client(part.firmware_env(), tmp_path)
    assert first(spin=True) == "spinning"   # reading the TMP102 as fast as it can
    start = part.bus.transfers
    deadline = time.monotonic() + 5.0
    while part.bus.transfers < start + 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.kill()
    assert part.bus.transfers >= start + 50
    second = Client(part.firmware_env(), tmp_path)
    try:
        part.set_temperature(55.5)
        assert _temperature(second) == 55.5
        assert part.testbed.handler.clients == 2
    finally:
        second.close()


def test_a_transfer_the_bus_does_not_complete_is_etimedout(tmp_path):
    board, bus = SensorBoard(), EmulatedI2CBus()
    for chip in board.devices():
        bus.attach(chip)
    with I2CDevTestbed(bus, 3, timeout=0.2) as testbed:
        c = Client(testbed.client_env(), tmp_path, bus=3)
        try:
            with board.tmp102.lock:   # a rig thread holds the chip: no transfer completes
                assert _errno(lambda: _temperature(c)) == errno.ETIMEDOUT
            assert _temperature(c) == 21.0
        finally:
            c.close()


def test_close_removes_the_testbed_and_exports_nothing(tmp_path):
    made = UmockdevI2CSensors(PartContext(tmp_path, tmp_path, random.Random(1)))
    root = made.testbed.root
    assert (root / "ioctl" / "dev" / "i2c-1").exists()
    inherited = subprocess.run(["printenv", "UMOCKDEV_DIR"], capture_output=True, text=True)
    assert inherited.stdout == "" and "UMOCKDEV_DIR" not in os.environ
    made.close()
    made.close()
    assert not root.exists()


def test_without_umockdev_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(loader.ctypes.util, "find_library", lambda name: None)
    loader.load_umockdev.cache_clear()
    loader.preload_library.cache_clear()
    try:
        with pytest.raises(UmockdevUnavailable, match=r"umockdev, gir1\.2-umockdev-1\.0, "
                                                       r"python3-gi.*make deps"):
            I2CDevTestbed()
    finally:
        monkeypatch.undo()
        loader.load_umockdev.cache_clear()
        loader.preload_library.cache_clear()
