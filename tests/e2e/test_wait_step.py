"""The ``wait`` step: with ``mine_every`` blocks keep coming while it waits, as on a chain
that produces blocks; without it an automining node mines nothing."""

from __future__ import annotations

import random

import pytest

from rig.scenario.context import RunContext, StepFailed
from rig.scenario.model import Step


def test_a_wait_that_mines_keeps_blocks_coming_and_a_plain_wait_does_not(machine_factory):
    m = machine_factory()
    ctx = RunContext(m, random.Random(1))
    head = m.chain.block_number
    ctx.run(Step("wait", {"seconds": 0.6}, "unit.yaml: wait"))
    assert m.chain.block_number == head
    ctx.run(Step("wait", {"seconds": 1.0, "mine_every": 0.25}, "unit.yaml: wait"))
    assert 1 <= m.chain.block_number - head <= 3


def test_a_negative_block_interval_is_refused(machine_factory):
    ctx = RunContext(machine_factory(), random.Random(1))
    with pytest.raises(StepFailed, match="mine_every must be >= 0"):
        ctx.run(Step("wait", {"seconds": 0.1, "mine_every": -1}, "unit.yaml: wait"))
