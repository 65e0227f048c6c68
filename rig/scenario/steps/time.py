"""Time passing: wall-clock waits, chain time and firmware clock warps, blocks."""

from __future__ import annotations

import time as _time

from rig.effects import NONE, Effect
from rig.scenario.context import RunContext, StepFailed
from rig.scenario.model import Step
from rig.scenario.steps.registry import step


@step("wait", begins=NONE, ends=NONE,
      seconds=(float, 0.0), synced=(bool, False), idle=(bool, False),
      mine_every=(float, 0.0))
def wait(ctx: RunContext, s: Step, seconds: float, synced: bool, idle: bool,
         mine_every: float) -> None:
    """Sleep, and/or wait for the next completed sync, and/or for no open transaction.
    ``mine_every`` mines a block every that many seconds while sleeping, as a chain that
    produces blocks would (an automining node only mines when a transaction comes, and a
    machine waiting for its redeem's confirmations would wait for ever)."""
    if mine_every < 0:
        raise StepFailed(s, f"mine_every must be >= 0 seconds, got {mine_every}")
    ends = _time.monotonic() + seconds
    while mine_every and _time.monotonic() + mine_every < ends:
        _time.sleep(mine_every)
        ctx.machine.mine()
    if seconds:
        _time.sleep(max(0.0, ends - _time.monotonic()))
    if synced:
        ctx.machine.wait_synced()
    if idle:
        ctx.machine.wait_until(lambda st: not st["open_tx"], what="no open transaction")


@step("warp", begins=frozenset({Effect.MOVES_CHAIN_TIME}), ends=NONE,
      needs=frozenset({"time", "mine"}),
      seconds=(int, 0), hours=(float, 0.0), days=(float, 0.0))
def warp(ctx: RunContext, s: Step, seconds: int, hours: float, days: float) -> None:
    """Chain time and the firmware's clock move forward together."""
    total = int(seconds + hours * 3600 + days * 86400)
    if total > 0:
        ctx.machine.advance(total)


@step("mine", begins=NONE, ends=NONE, blocks=(int, 1))
def mine(ctx: RunContext, s: Step, blocks: int) -> None:
    ctx.machine.mine(blocks)
