"""A power cut right after a failed brew: the firmware reports ``brew-failed`` (with the brew
id) before the credit is durable, so ``power.cut_at_checkpoint`` at ``brew-failed`` cuts
there. The next boot asks the board, which still knows the brew failed, and grants the credit
once; the credit pays the next coffee.
"""

from __future__ import annotations

from rig.faults import make_fault
from tests.e2e.support import active, fault_ctx, idle

TAP_TIMEOUT = 8.0


def test_a_cut_at_brew_failed_cuts_before_the_credit_and_the_reboot_grants_it_once(
        machine_factory):
    m = machine_factory()
    idle(m)
    price = m.rental.terms.prices[1]
    ctx = fault_ctx(m)
    mark = m.control.mark()
    cut = make_fault("power.cut_at_checkpoint", {"checkpoint": "brew-failed",
                                                 "wait_seconds": 20})
    with active(make_fault("serial.no_water"), ctx):
        cut.fire(ctx)
        out = m.tap(m.phones[0], product=1, timeout=TAP_TIMEOUT)
        assert out.verdict == "interrupted", out
        assert [e.action for e in ctx.timeline.entries if e.kind == cut.kind] == ["cut"]
        assert not m.pi.powered
        first_boot = m.control.checkpoints[mark:]
        (failed,) = [c for c in first_boot if c.name == "brew-failed"]
        (paid,) = [c for c in first_boot if c.name == "receipt-persisted"]
        assert failed.held and failed.data["brew_id"] == paid.data["brew_id"]
        assert "credit-granted" not in [c.name for c in first_boot]
        cut.heal(ctx)                                  # powers the machine back on
    assert m.pi.powered
    status = m.wait_until(lambda s: not s["unfinished_brews"], mine=False,
                          what="the failed brew resolved after the reboot")
    assert status["credits"] == price
    granted = [c for c in m.control.checkpoints[mark:] if c.name == "credit-granted"]
    assert [c.data["brew_id"] for c in granted] == [paid.data["brew_id"]]
    assert list(m.board.dispenses.records()) == []
    out = m.tap(m.phones[1], product=1, timeout=TAP_TIMEOUT)   # the credit pays for it
    assert out.verdict == "served" and out.sequence is None, out
    assert m.status()["credits"] == 0
