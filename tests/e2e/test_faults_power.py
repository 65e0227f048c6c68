"""``power.cut_at_checkpoint`` against a real machine: firmware process, phones, anvil.

The fault's life is fire, then ``cut`` or ``miss``, then heal (the oracle reads it so). Shown
here: the hold is in place when ``fire`` returns, so the cut lands while the firmware is held
at the checkpoint; a miss lifts the hold, so the firmware passes the checkpoint afterwards;
and after ``heal`` no cut can come any more.
"""

from __future__ import annotations

from rig.faults import make_fault
from rig.faults.context import FaultContext
from rig.harness.machine_rig import MachineRig
from tests.e2e.support import fault_ctx, idle

TAP_TIMEOUT = 8.0   # a tap that hangs on a forgotten hold fails after this, not after 20 s


def _actions(ctx: FaultContext) -> list[str]:
    return [e.action for e in ctx.timeline.entries if e.kind == "power.cut_at_checkpoint"]


def _served(m: MachineRig, product: int = 1) -> None:
    out = m.tap(m.phones[0], product=product, timeout=TAP_TIMEOUT)
    assert out.verdict == "served", out


def test_the_cut_lands_while_the_firmware_is_held_at_the_checkpoint(machine_factory):
    m = machine_factory()
    idle(m)
    ctx = fault_ctx(m)
    mark = m.control.mark()
    fault = make_fault("power.cut_at_checkpoint", {"checkpoint": "tap", "wait_seconds": 20})
    fault.fire(ctx)
    out = m.tap(m.phones[0], product=1, timeout=TAP_TIMEOUT)   # at once: no time to settle
    assert out.verdict == "interrupted", out
    (tap,) = [c for c in m.control.checkpoints[mark:] if c.name == "tap"]
    assert tap.held
    assert "tap-done" not in [c.name for c in m.control.checkpoints[tap.seq:]]
    assert _actions(ctx) == ["cut"]
    fault.heal(ctx)
    assert m.pi.powered
    _served(m)


def test_a_miss_lifts_the_hold_so_the_firmware_passes_the_checkpoint_later(machine_factory):
    m = machine_factory()
    idle(m)
    ctx = fault_ctx(m)
    fault = make_fault("power.cut_at_checkpoint", {"checkpoint": "tap", "wait_seconds": 0.5})
    fault.fire(ctx)
    m.wait_until(lambda _s: _actions(ctx) == ["miss"], timeout=10, mine=False,
                 what="the window ran out without a tap")
    _served(m)                                  # the tap checkpoint is no longer held
    assert m.pi.powered and _actions(ctx) == ["miss"]
    fault.heal(ctx)
    assert m.pi.powered


def test_after_heal_no_cut_can_come(machine_factory):
    m = machine_factory()
    idle(m)
    ctx = fault_ctx(m)
    fault = make_fault("power.cut_at_checkpoint", {"checkpoint": "tap", "wait_seconds": 60})
    fault.fire(ctx)
    fault.heal(ctx)                             # healed before the firmware got there
    _served(m)
    _served(m, product=2)
    assert m.pi.powered and _actions(ctx) == []
    assert m.status()["boot"] == 1
