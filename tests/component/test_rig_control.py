"""The rig interface, both ends in one process: the rig's ``RigControl`` and the firmware's
``RigPort`` over a real Unix socket. Holds and releases are acknowledged, and the hold's
acknowledgement splits the checkpoint reports exactly: every one after it was held."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.clock import Clock
from firmware.rigport import RigPort
from rig.harness.control import ControlError, RigControl


@pytest.fixture
def control(tmp_path: Path) -> Iterator[RigControl]:
    rig = RigControl(tmp_path / "rig.sock")
    yield rig
    rig.close()


def _connect(control: RigControl, hold: tuple[str, ...] = ()) -> RigPort:
    boot = control.boots + 1
    port = RigPort(str(control.path), hold, Clock())
    control.wait_boot(boot, timeout=5)
    return port


class Reporter:
    """A firmware loop that reports ``name`` over and over, as fast as it can."""

    def __init__(self, port: RigPort, name: str):
        self.port, self.name, self.passed = port, name, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.port.checkpoint(self.name)
            self.passed += 1

    def end(self, control: RigControl) -> None:
        self.stop.set()
        control.hold()
        self.thread.join(5)
        assert not self.thread.is_alive()


def test_every_checkpoint_after_the_hold_acknowledgement_is_held(control):
    port = _connect(control)
    reporter = Reporter(port, "synced")
    try:
        control.wait_for("synced", timeout=5)               # the loop runs unheld
        ack = control.hold("synced")
        assert ack.result == {"held": ["synced"], "released": 0}
        first = control.wait_for("synced", timeout=5, after=ack.mark)
        assert first.held
        assert all(not c.held for c in control.checkpoints[:ack.mark])
        assert control.release("synced") == 1                # the loop goes one round on
        second = control.wait_for("synced", timeout=5, after=first.seq)
        assert second.held
        assert [c.seq for c in control.checkpoints[ack.mark:]] == [first.seq, second.seq]
    finally:
        reporter.end(control)


def test_a_release_with_nothing_held_leaves_nothing_for_a_later_hold(control):
    port = _connect(control)
    assert control.release("tap") == 0
    ack = control.hold("tap")
    reporter = Reporter(port, "tap")
    try:
        cp = control.wait_for("tap", timeout=5, after=ack.mark)
        assert cp.held
        with pytest.raises(ControlError, match="no checkpoint 'tap'"):
            control.wait_for("tap", timeout=0.3, after=cp.seq)   # still held there
    finally:
        reporter.end(control)


def test_a_hold_that_drops_a_name_frees_the_firmware_held_there(control):
    port = _connect(control, hold=("tap",))
    reporter = Reporter(port, "tap")
    try:
        cp = control.wait_for("tap", timeout=5)
        assert cp.held
        ack = control.hold()
        assert ack.result == {"held": [], "released": 1}
        after = control.wait_for("tap", timeout=5, after=cp.seq)
        assert not after.held
    finally:
        reporter.end(control)


def test_a_hold_the_firmware_does_not_acknowledge_is_a_clear_error(control):
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)   # a firmware that never answers
    mute.connect(str(control.path))
    try:
        control.wait_boot(1, timeout=5)
        with pytest.raises(ControlError,
                           match=r"hold \['tap'\] not acknowledged: the firmware did not "
                                 r"answer 'hold' within 0.3s"):
            control.hold("tap", timeout=0.3)
    finally:
        mute.close()


def test_a_request_fails_as_soon_as_the_firmware_connection_closes(control):
    firmware = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    firmware.connect(str(control.path))
    control.wait_boot(1, timeout=5)
    threading.Timer(0.2, firmware.close).start()          # the power goes mid-request
    with pytest.raises(ControlError, match=r"connection \(boot 1\) closed before it answered "
                                           r"'status'"):
        control.request("status", timeout=10)


def test_wait_reached_ends_with_the_boot_or_when_stopped(control):
    firmware = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    firmware.connect(str(control.path))
    control.wait_boot(1, timeout=5)
    stop = threading.Event()
    threading.Timer(0.2, lambda: (stop.set(), control.wake())).start()
    assert control.wait_reached("tap", 1, 0, timeout=10, stop=stop) is None
    threading.Timer(0.2, firmware.close).start()
    with pytest.raises(ControlError, match="boot 1 ended before it reached 'tap'"):
        control.wait_reached("tap", 1, 0, timeout=10)
