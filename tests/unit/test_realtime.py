"""The device emulators' threads get the GIL within a hardware deadline."""

from __future__ import annotations

import sys

import pytest

from emulators.realtime import SWITCH_INTERVAL, answer_promptly


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
