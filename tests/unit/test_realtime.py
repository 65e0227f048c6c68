"""The device emulators' threads get the GIL within a hardware deadline."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from emulators.realtime import DEADLINE_NICE, SWITCH_INTERVAL, answer_promptly, serve_in_time


@pytest.fixture
def restore_interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_the_default_interval_is_lowered(restore_interval):
    sys.setswitchinterval(0.005)
    answer_promptly()
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)


def test_a_lower_interval_is_kept(restore_interval):
    sys.setswitchinterval(SWITCH_INTERVAL / 5)
    answer_promptly()
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL / 5)


def test_a_device_thread_gets_ahead_of_ordinary_processes_and_only_that_thread():
    """Where the privilege exists (root, as in CI) the thread's nice becomes DEADLINE_NICE
    and the process's other threads keep theirs; without it nothing changes."""
    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: dict[str, int | bool] = {}

    def device() -> None:
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        seen["raised"] = serve_in_time()
        seen["before"], seen["after"] = before, os.getpriority(os.PRIO_PROCESS, tid)

    t = threading.Thread(target=device)
    t.start()
    t.join()
    privileged = os.geteuid() == 0
    assert seen["raised"] is privileged
    assert seen["after"] == (DEADLINE_NICE if privileged else seen["before"])
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before
