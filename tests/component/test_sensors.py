"""The firmware's sensor stack over the real Unix-socket transport against the emulated bus.

Every test runs a real ``BusServer`` with the default board and talks to it through
``firmware.sensors.open_bus("unix:...")``, the path the firmware process uses.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import smbus2

from emulators.sensors import TMP102, BusServer, DeviceFault, SensorBoard, serve_board
from emulators.sensors import tmp102 as tmp_regs
from emulators.sensors.errors import BusServerError
from firmware.sensors import (
    BrewBlocker,
    BusProtocolError,
    BusSpecError,
    BusTransportError,
    MonitorConfig,
    SensorHealth,
    SensorMonitor,
    SocketI2CBus,
    TransferArgumentError,
    open_bus,
)
from firmware.sensors.ina219 import calibration_for

REPO = Path(__file__).resolve().parents[2]
CONFIG = MonitorConfig()


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    # AF_UNIX paths are limited to 107 bytes; pytest's tmp_path can be longer.
    path = Path(tempfile.mkdtemp(prefix="i2c-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def rig(sock_dir: Path) -> Iterator[tuple[BusServer, SensorBoard]]:
    server, board = serve_board(str(sock_dir / "bus.sock"), frame_timeout=0.3)
    yield server, board
    server.close()


@pytest.fixture
def bus(rig) -> Iterator[SocketI2CBus]:
    server, _ = rig
    with open_bus(server.spec) as client:
        assert isinstance(client, SocketI2CBus)
        yield client


@pytest.fixture
def monitor(bus) -> SensorMonitor:
    return SensorMonitor(bus, CONFIG)


def codes(faults) -> set[int]:
    return {f.code for f in faults}


def raw_request(*messages: tuple[int, int, bytes | int]) -> bytes:
    """A request frame built by hand: (addr, flags, data-or-read-length) per message."""
    body = bytearray([len(messages)])
    for addr, flags, payload in messages:
        if flags & 1:
            body += struct.pack(">BBH", addr, flags, payload)
        else:
            body += struct.pack(">BBH", addr, flags, len(payload)) + payload
    return struct.pack(">2sBBI", b"I2", 1, 1, len(body)) + bytes(body)


def read_reply(conn: socket.socket) -> tuple[int, bytes]:
    header = b""
    while len(header) < 8:
        chunk = conn.recv(8 - len(header))
        assert chunk, "server closed the connection without replying"
        header += chunk
    magic, version, kind, length = struct.unpack(">2sBBI", header)
    assert (magic, version, kind) == (b"I2", 1, 0x81)
    body = b""
    while len(body) < length:
        body += conn.recv(length - len(body))
    return struct.unpack(">H", body[:2])[0], body[2:]


# -- normal operation ---------------------------------------------------------------------

def test_normal_readings_in_physical_units(rig, monitor):
    _, board = rig
    board.tmp102.set_temperature(-4.5)
    board.ina219.set_current(0.0)
    board.ina219.set_bus_voltage(24.2)
    board.status_mcu.set_water_level(80)
    board.status_mcu.set_beans_level(55)
    board.status_mcu.set_grounds_count(4)

    snap = monitor.read()

    assert snap.boiler_c == -4.5
    assert snap.heater_a == 0.0
    assert snap.bus_v == pytest.approx(24.2)
    assert (snap.water_pct, snap.beans_pct, snap.grounds_count) == (80, 55, 4)
    assert snap.door_open is False
    assert snap.grounds_full is False
    assert snap.faults == ()
    assert set(snap.health.values()) == {SensorHealth.OK}
    assert snap.brew_safe and monitor.brew_safe()

    board.tmp102.set_temperature(93.25)
    board.ina219.set_current(5.0)
    snap = monitor.read()
    _, lsb = calibration_for(CONFIG.shunt_ohms, CONFIG.max_expected_a)
    assert snap.boiler_c == 93.25
    assert snap.heater_a == pytest.approx(5.0, abs=lsb)


def test_ina219_is_calibrated_at_start_and_again_after_a_chip_reset(rig, monitor):
    _, board = rig
    cal, lsb = calibration_for(CONFIG.shunt_ohms, CONFIG.max_expected_a)
    board.ina219.set_current(3.0)
    assert board.ina219.register(0x05) == 0
    assert monitor.read().heater_a == pytest.approx(3.0, abs=lsb)
    assert board.ina219.register(0x05) == cal
    board.ina219.power_on_reset()  # calibration lost: the chip would read 0 A
    assert monitor.read().heater_a == pytest.approx(3.0, abs=lsb)
    assert board.ina219.register(0x05) == cal


def test_tmp102_is_put_in_extended_mode_and_back_after_a_reset(rig, monitor):
    _, board = rig
    board.tmp102.set_temperature(130.0)
    assert monitor.read().boiler_c == 130.0
    assert board.tmp102.register(tmp_regs.CONFIG) & tmp_regs.EM
    board.tmp102.power_on_reset()
    assert monitor.read().boiler_c == 127.9375  # normal mode saturates; driver notices D0
    assert monitor.read().boiler_c == 130.0


# -- faults -------------------------------------------------------------------------------

@pytest.mark.parametrize(("chip", "fault", "code"), [
    ("tmp102", DeviceFault.NACK, 0x0110),
    ("ina219", DeviceFault.NACK, 0x0210),
    ("status_mcu", DeviceFault.NACK, 0x0310),
    ("tmp102", DeviceFault.MISSING, 0x0120),
    ("ina219", DeviceFault.MISSING, 0x0220),
    ("status_mcu", DeviceFault.MISSING, 0x0320),
    ("tmp102", DeviceFault.OUT_OF_RANGE, 0x0131),
    ("ina219", DeviceFault.OUT_OF_RANGE, 0x0231),
    ("status_mcu", DeviceFault.OUT_OF_RANGE, 0x0331),
])
def test_fault_detected_with_its_code_and_cleared_after_heal(rig, monitor, chip, fault, code):
    _, board = rig
    device = getattr(board, chip)
    assert monitor.read().faults == ()

    device.inject(fault)
    snap = monitor.read()
    assert codes(snap.faults) == {code}
    assert codes(snap.raised) == {code}
    assert snap.health[snap.faults[0].sensor] == SensorHealth(fault.value)
    assert not snap.brew_safe
    assert codes(monitor.read().raised) == set()  # reported once, not on every read

    device.heal()
    snap = monitor.read()
    assert snap.faults == ()
    assert codes(snap.cleared) == {code}
    assert snap.brew_safe


@pytest.mark.parametrize(("chip", "code"), [("ina219", 0x0240), ("status_mcu", 0x0340)])
def test_stuck_chip_detected_after_k_reads_and_cleared_when_it_moves(rig, monitor, chip, code):
    _, board = rig
    for _ in range(CONFIG.stuck_reads + 2):
        assert monitor.read().faults == ()  # a live chip is never stuck

    getattr(board, chip).inject(DeviceFault.STUCK)
    seen = [codes(monitor.read().faults) for _ in range(CONFIG.stuck_reads)]
    assert seen[0] == set()  # one unchanged read is not yet evidence
    assert seen[-1] == {code}

    getattr(board, chip).heal()
    snap = monitor.read()
    assert snap.faults == ()
    assert codes(snap.cleared) == {code}


def test_stuck_temperature_needs_the_heater_on(sock_dir):
    board = SensorBoard(tmp102=TMP102(92.0, jitter_lsb=1, rng=random.Random(3)))
    server, board = serve_board(str(sock_dir / "b.sock"), board)
    try:
        with open_bus(server.spec) as bus:
            monitor = SensorMonitor(bus, CONFIG)
            board.ina219.set_current(4.0)
            for _ in range(2 * CONFIG.temperature_stuck_reads):
                assert monitor.read().faults == ()  # jitter: a heated boiler's value moves

            board.tmp102.inject(DeviceFault.STUCK)
            board.ina219.set_current(0.0)  # heater off: an unchanged value proves nothing
            for _ in range(2 * CONFIG.temperature_stuck_reads):
                assert monitor.read().faults == ()
            board.ina219.set_current(4.0)
            found = [codes(monitor.read().faults) for _ in range(CONFIG.temperature_stuck_reads)]
            assert found[-1] == {0x0141}
            assert found[0] == set()

            board.tmp102.heal()
            snap = monitor.read()
            assert snap.faults == ()
            assert codes(snap.cleared) == {0x0141}
    finally:
        server.close()


def test_device_missing_from_boot_is_reported_and_configured_once_it_appears(sock_dir):
    board = SensorBoard()
    board.ina219.inject(DeviceFault.MISSING)
    board.ina219.set_current(2.0)
    server, board = serve_board(str(sock_dir / "b.sock"), board)
    try:
        with open_bus(server.spec) as bus:
            monitor = SensorMonitor(bus, CONFIG)  # must not need the chip to construct
            snap = monitor.read()
            assert codes(snap.faults) == {0x0220}
            assert snap.heater_a is None
            assert BrewBlocker.BOILER_FAULT in snap.brew_blockers
            board.ina219.heal()
            snap = monitor.read()
            assert snap.faults == ()
            assert snap.heater_a == pytest.approx(2.0, abs=0.001)
    finally:
        server.close()


@pytest.mark.parametrize(("script", "code"), [
    (lambda b: b.tmp102.set_temperature(180.0), 0x0131),
    (lambda b: b.ina219.set_current(12.0), 0x0231),
    (lambda b: b.ina219.set_bus_voltage(12.0), 0x0232),
    (lambda b: b.status_mcu.set_water_level(150), 0x0331),
    (lambda b: b.status_mcu.set_beans_level(101), 0x0332),
    (lambda b: b.status_mcu.set_fault_flags(0x04), 0x0333),
    (lambda b: b.status_mcu.set_fault_flags(0x08), 0x0334),
])
def test_implausible_values_are_out_of_range(rig, monitor, script, code):
    _, board = rig
    script(board)
    snap = monitor.read()
    assert codes(snap.faults) == {code}
    assert f"{snap.faults[0].detail}"  # says what was wrong


def test_overheated_boiler_reads_its_real_temperature(rig, monitor):
    _, board = rig
    board.tmp102.set_temperature(180.0)
    snap = monitor.read()
    assert snap.boiler_c == 180.0
    assert "180" in snap.faults[0].detail


@pytest.mark.parametrize(("script", "blocker"), [
    (lambda b: b.status_mcu.set_door_open(True), BrewBlocker.DOOR_OPEN),
    (lambda b: b.status_mcu.set_water_level(2), BrewBlocker.NO_WATER),
    (lambda b: b.status_mcu.set_grounds_count(12), BrewBlocker.GROUNDS_FULL),
    (lambda b: b.status_mcu.set_fault_flags(0x08), BrewBlocker.DOOR_OPEN),
    (lambda b: b.status_mcu.set_fault_flags(0x01), BrewBlocker.NO_WATER),
    (lambda b: b.tmp102.set_temperature(125.0), BrewBlocker.BOILER_FAULT),
])
def test_brewing_is_unsafe_while_a_precondition_fails(rig, monitor, script, blocker):
    _, board = rig
    assert monitor.read().brew_safe
    script(board)
    snap = monitor.read()
    assert snap.brew_blockers == (blocker,)
    assert not monitor.brew_safe()


def test_brewing_unsafe_reason_reads_the_sensors_now(rig, monitor):
    _, board = rig
    assert monitor.brewing_unsafe_reason() is None
    board.status_mcu.set_door_open(True)  # no poll in between: the answer must be fresh
    board.status_mcu.set_water_level(3)
    reason = monitor.brewing_unsafe_reason()
    assert reason is not None
    assert "door open" in reason and "water level 3 %" in reason
    board.status_mcu.set_door_open(False)
    board.status_mcu.set_water_level(90)
    board.tmp102.inject(DeviceFault.NACK)
    assert "0x0110" in (monitor.brewing_unsafe_reason() or "")
    board.tmp102.heal()
    assert monitor.brewing_unsafe_reason() is None


def test_selected_product_comes_from_the_panel(rig, monitor):
    _, board = rig
    assert monitor.selected_product() is None
    board.status_mcu.select_product(3)
    assert monitor.selected_product() == 3  # read at the tap, not at the last poll
    assert monitor.read().selected_product == 3
    board.status_mcu.inject(DeviceFault.NACK)
    assert monitor.selected_product() is None
    board.status_mcu.heal()
    board.status_mcu.select_product(None)
    assert monitor.selected_product() is None


class OverlapCheckingBus:
    """Wraps a bus and records calls that overlap in time. smbus2 sets the address and
    transfers in two ioctls, so on the Pi overlapping calls from two threads can address
    the wrong chip; the monitor must never let its callers overlap."""

    def __init__(self, bus: SocketI2CBus) -> None:
        self._bus = bus
        self._guard = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0
        self.calls = 0

    def __getattr__(self, name: str):
        target = getattr(self._bus, name)

        def call(*args, **kwargs):
            with self._guard:
                self._in_flight += 1
                self.calls += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
            try:
                threading.Event().wait(0.0005)  # widen the window an unserialised caller hits
                return target(*args, **kwargs)
            finally:
                with self._guard:
                    self._in_flight -= 1

        return call


def test_monitor_serialises_the_sensor_loop_and_a_tap(rig, bus):
    _, board = rig
    board.status_mcu.select_product(2)
    checked = OverlapCheckingBus(bus)
    monitor = SensorMonitor(checked, CONFIG)  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def taps() -> None:
        try:
            for _ in range(20):
                assert monitor.selected_product() == 2
                assert monitor.brewing_unsafe_reason() is None
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=taps)
    thread.start()
    sequences = [monitor.read().sequence for _ in range(20)]
    thread.join(timeout=30)
    assert errors == []
    assert checked.calls > 100
    assert checked.max_in_flight == 1
    assert sequences == sorted(set(sequences))
    assert monitor.faults() == ()


def test_beans_running_low_does_not_block_brewing(rig, monitor):
    _, board = rig
    board.status_mcu.set_beans_level(0)
    snap = monitor.read()
    assert snap.beans_pct == 0
    assert snap.brew_safe


def test_brewing_is_not_safe_before_the_first_read(monitor):
    assert not monitor.brew_safe()
    assert monitor.faults() == ()


def test_wrong_chip_at_the_mcu_address_counts_as_missing(rig, monitor):
    server, _ = rig
    server.detach(0x42)
    server.attach(TMP102(), 0x42)
    snap = monitor.read()
    assert codes(snap.faults) == {0x0320}
    assert "WHO_AM_I" in snap.faults[0].detail


# -- SMBus semantics over the socket ------------------------------------------------------

def test_enxio_vs_eremoteio(rig, bus):
    _, board = rig
    with pytest.raises(OSError) as absent:
        bus.read_byte_data(0x50, 0x00)
    assert absent.value.errno == errno.ENXIO
    board.tmp102.inject(DeviceFault.NACK)
    with pytest.raises(OSError) as nack:
        bus.read_word_data(0x48, 0x00)
    assert nack.value.errno == errno.EREMOTEIO
    assert "0x48" in str(nack.value)
    with pytest.raises(OSError) as data_nack:
        bus.write_byte_data(0x42, 0x20, 1)  # pointer past the MCU's map
    assert data_nack.value.errno == errno.EREMOTEIO
    board.tmp102.heal()
    assert bus.read_word_data(0x48, 0x00)  # the connection survived the errors


def test_smbus_words_are_little_endian_on_the_socket_bus(rig, bus):
    _, board = rig
    board.tmp102.set_temperature(25.0)  # register 0x1900, sent 0x19 then 0x00
    assert bus.read_word_data(0x48, 0x00) == 0x0019
    bus.write_word_data(0x48, tmp_regs.THIGH, 0x0050)  # wire: 0x50 then 0x00
    assert board.tmp102.register(tmp_regs.THIGH) == 0x5000


def test_block_and_byte_calls_and_i2c_rdwr(rig, bus):
    _, board = rig
    board.status_mcu.set_water_level(66)
    assert bus.read_i2c_block_data(0x42, 0x00, 3) == [0xC5, 1, 4]
    bus.write_i2c_block_data(0x42, 0x07, [20])
    assert bus.read_byte_data(0x42, 0x07) == 20
    write = smbus2.i2c_msg.write(0x42, [0x04])
    read = smbus2.i2c_msg.read(0x42, 2)
    bus.i2c_rdwr(write, read)
    assert list(read) == [66, 100]


@pytest.mark.parametrize(("call", "match"), [
    (lambda b: b.read_byte_data(0x48, 0x100), "register"),
    (lambda b: b.write_byte_data(0x48, 0x01, 256), "byte value"),
    (lambda b: b.write_word_data(0x48, 0x01, -1), "word value"),
    (lambda b: b.read_i2c_block_data(0x42, 0x00, 33), "block length"),
    (lambda b: b.write_i2c_block_data(0x42, 0x07, [0] * 33), "exceeds"),
    (lambda b: b.read_byte_data(0x80, 0x00), "7-bit"),
])
def test_bad_arguments_are_refused_before_reaching_the_bus(rig, bus, call, match):
    server, _ = rig
    before = server.bus.transfers
    with pytest.raises(TransferArgumentError, match=match):
        call(bus)
    assert server.bus.transfers == before


def test_open_bus_refuses_bad_specs(sock_dir):
    for spec in ("tcp:host:1", "unix:", "i2c", True, -1, 1.5):
        with pytest.raises(BusSpecError):
            open_bus(spec)  # type: ignore[arg-type]
    with pytest.raises(BusTransportError) as info:
        open_bus(f"unix:{sock_dir}/nothing.sock")
    assert info.value.errno == errno.ENOENT
    assert "nothing.sock" in str(info.value)


def test_a_bus_number_goes_to_the_kernel_i2c_dev():
    with pytest.raises(BusTransportError, match="/dev/i2c-250") as info:
        open_bus(250)  # no such adapter here: smbus2 tried to open the device node
    assert info.value.errno == errno.ENOENT


def test_firmware_sets_the_grounds_limit_on_the_mcu(rig, monitor):
    _, board = rig
    board.status_mcu.set_grounds_count(2)
    assert monitor.read().grounds_full is False
    monitor.status_mcu.set_grounds_limit(2)
    snap = monitor.read()
    assert snap.grounds_full is True
    assert snap.brew_blockers == (BrewBlocker.GROUNDS_FULL,)
    with pytest.raises(TransferArgumentError):
        monitor.status_mcu.set_grounds_limit(300)


def test_concurrent_clients_each_see_consistent_transactions(rig):
    server, _ = rig
    results: dict[int, list[list[int]]] = {}
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            with open_bus(server.spec) as own:
                results[n] = [own.read_i2c_block_data(0x42, 0x00, 10) for _ in range(40)]
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    beats = []
    for reads in results.values():
        assert all(r[0] == 0xC5 for r in reads)
        beats += [r[9] for r in reads]
    assert len(set(beats)) == len(beats) == 120  # every transaction was its own loop pass


# -- transport failures -------------------------------------------------------------------

def test_garbage_on_the_socket_gets_a_clear_error_not_a_hang(rig):
    server, _ = rig
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(server.path))
        conn.sendall(b"GET / HTTP/1.1\r\n\r\n")
        status, text = read_reply(conn)
        assert status == errno.EPROTO
        assert b"does not speak the emulated I2C bus protocol" in text
        assert conn.recv(1) == b""  # then the server hangs up
    assert any("bad frame" in e for e in server.events)


def test_hand_built_frame_is_served(rig):
    """Control for the malformed-frame cases: the helper's frames are valid."""
    server, _ = rig
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(server.path))
        conn.sendall(raw_request((0x42, 0x00, b"\x00"), (0x42, 0x01, 2)))
        assert read_reply(conn) == (0, bytes([0xC5, 1]))


@pytest.mark.parametrize(("frame", "says"), [
    (raw_request((0x48, 0x02, b"\x00")), b"unsupported flags"),
    (raw_request((0x48, 0x00, b"\x00"))[:-1], b"truncated frame"),
    (struct.pack(">2sBBI", b"I2", 9, 1, 3) + b"\x01\x48\x00", b"version 9"),
    (struct.pack(">2sBBI", b"I2", 1, 1, 10**6), b"body length"),
    (raw_request((0x48, 0x00, b"\x00")) + b"\x00", None),
])
def test_malformed_frames_are_answered_with_eproto(rig, frame, says):
    server, _ = rig
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(server.path))
        conn.sendall(frame)
        status, text = read_reply(conn)
        if says is None:  # a valid frame followed by a stray byte: served, then refused
            assert status == 0
            status, text = read_reply(conn)
            says = b"truncated frame"
    assert status == errno.EPROTO
    assert says in text


def test_truncated_write_frame_changes_nothing(rig):
    server, board = rig
    frame = raw_request((0x48, 0x00, bytes([tmp_regs.THIGH, 0x10, 0x00])))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(server.path))
        conn.sendall(frame[:-1])
        status, text = read_reply(conn)  # after frame_timeout, not never
    assert status == errno.EPROTO and b"truncated" in text
    assert board.tmp102.register(tmp_regs.THIGH) == tmp_regs.THIGH_POWER_ON


_KILLED_CLIENT = r"""
import socket, sys, time
from firmware.sensors import open_bus
mode, path = sys.argv[1], sys.argv[2]
if mode == "partial":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(bytes.fromhex(sys.argv[3]))
    print("ready", flush=True)
    time.sleep(60)
else:
    bus = open_bus("unix:" + path)
    print("ready", flush=True)
    while True:
        bus.read_i2c_block_data(0x42, 0x00, 10)
        bus.write_word_data(0x48, 0x03, 0x0050)
"""


@pytest.mark.parametrize("mode", ["partial", "busy"])
def test_client_killed_mid_transaction_leaves_the_server_working(rig, monitor, mode):
    server, board = rig
    partial = raw_request((0x48, 0x00, bytes([tmp_regs.TLOW, 0x10, 0x00])))[:-2]
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CLIENT, mode, str(server.path), partial.hex()],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        if mode == "busy":
            for _ in range(3):
                assert monitor.read().faults == ()  # interleaved with the busy client
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the power cut
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    for _ in range(3):
        snap = monitor.read()
        assert snap.faults == ()
        assert snap.brew_safe
    assert board.tmp102.register(tmp_regs.TLOW) == tmp_regs.TLOW_POWER_ON
    with open_bus(server.spec) as fresh:
        assert fresh.read_byte_data(0x42, 0x00) == 0xC5
    if mode == "partial":
        assert _wait_for_event(server, ("mid-frame", "truncated"))


def _wait_for_event(server: BusServer, needles: tuple[str, ...]) -> bool:
    """True once the server logged an event containing one of ``needles`` (bounded wait)."""
    done = threading.Event()
    for _ in range(100):
        if any(n in e for e in server.events for n in needles):
            return True
        done.wait(0.05)
    return False


def _fake_server(path: Path, reply: bytes | None) -> tuple[socket.socket, threading.Thread]:
    """Accepts one client, reads one request, answers ``reply`` (None: never answers)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, contextlib.suppress(OSError):
            conn.recv(4096)
            if reply is not None:
                conn.sendall(reply)
            conn.recv(4096)  # until the client gives up and closes

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_client_rejects_a_garbled_reply(sock_dir):
    listener, thread = _fake_server(sock_dir / "fake.sock", b"HTTP/1.1 400 Bad\r\n\r\n")
    try:
        bus = SocketI2CBus(str(sock_dir / "fake.sock"), timeout=5)
        with pytest.raises(BusProtocolError, match="not an emulated I2C bus") as info:
            bus.read_byte_data(0x42, 0x00)
        assert info.value.errno == errno.EPROTO
        bus.close()
        thread.join(timeout=5)
    finally:
        listener.close()


def test_client_times_out_on_a_silent_server(sock_dir):
    listener, thread = _fake_server(sock_dir / "fake.sock", None)
    try:
        bus = SocketI2CBus(str(sock_dir / "fake.sock"), timeout=0.2)
        with pytest.raises(BusTransportError) as info:
            bus.read_byte_data(0x42, 0x00)
        assert info.value.errno == errno.ETIMEDOUT
        bus.close()
        thread.join(timeout=5)
    finally:
        listener.close()


def test_bus_server_restart_is_survived(sock_dir):
    path = sock_dir / "bus.sock"
    server, _ = serve_board(str(path))
    bus = open_bus(f"unix:{path}")
    monitor = SensorMonitor(bus, CONFIG)
    assert monitor.read().faults == ()
    server.close()
    assert not path.exists()

    snap = monitor.read()  # the bus is gone: every chip stops answering, no hang
    assert {f.kind.value for f in snap.faults} == {"nack"}
    assert len(snap.faults) == 3
    assert BrewBlocker.STATUS_UNKNOWN in snap.brew_blockers

    server, _ = serve_board(str(path))
    try:
        snap = monitor.read()
        assert snap.faults == ()
        assert len(snap.cleared) == 3
    finally:
        bus.close()
        server.close()
    with pytest.raises(BusTransportError, match="closed"):
        bus.read_byte_data(0x42, 0x00)


def test_server_refuses_an_existing_path(sock_dir):
    server, _ = serve_board(str(sock_dir / "bus.sock"))
    try:
        with pytest.raises(BusServerError, match="already exists"):
            BusServer(sock_dir / "bus.sock").start()
    finally:
        server.close()
