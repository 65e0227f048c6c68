"""What the customer and the operator do with the channel on-chain."""

from __future__ import annotations

from rig.effects import NONE, Effect
from rig.oracle.online import CLOSE_MINED
from rig.platform.channels import ChannelState, channel_state
from rig.scenario.context import RunContext, StepFailed
from rig.scenario.model import Step
from rig.scenario.steps.registry import step


@step("top_up", begins=NONE, ends=NONE, amount=(int, 10_000_000))
def top_up(ctx: RunContext, s: Step, amount: int) -> None:
    p, a = ctx.machine.platform, ctx.machine.platform.actors
    p.tx(a.customer, p.token.functions.approve(p.payments.address, amount))
    p.tx(a.customer, p.payments.functions.topUp(ctx.machine.rental.channel_id, amount))


@step("close", begins=frozenset({Effect.REQUESTS_CLOSE}), ends=NONE, via=(str, "channel"))
def close(ctx: RunContext, s: Step, via: str) -> None:
    """The customer starts the close: ``via: channel`` (requestClose) or ``rental``
    (terminate the rental, which also requests the close)."""
    p, a, r = ctx.machine.platform, ctx.machine.platform.actors, ctx.machine.rental
    if via == "channel":
        receipt = p.tx(a.customer, p.payments.functions.requestClose(r.channel_id))
    elif via == "rental":
        receipt = p.tx(a.customer, p.rental.functions.terminate(r.rental_id))
    else:
        raise StepFailed(s, f"via must be 'channel' or 'rental', not {via!r}")
    # The step's own entry is written before the transaction is sent; the machine can only
    # act on the close from here (the close window's online time counts from this entry).
    ctx.timeline.record(ctx.machine, "close", CLOSE_MINED, {"block": receipt["blockNumber"]},
                        note="the close request is in a block")


@step("settle", begins=frozenset({Effect.SETTLES_CHANNEL}), ends=NONE,
      needs=frozenset({"time", "mine"}), warp=(bool, True))
def settle(ctx: RunContext, s: Step, warp: bool) -> None:
    """After the challenge deadline the customer settles (``warp`` moves time past it)."""
    m = ctx.machine
    state = channel_state(m.platform, m.rental.channel_id)
    if state.status != ChannelState.CLOSING:
        raise StepFailed(s, f"the channel is not closing (status {state.status})")
    if warp:
        now = m.chain.timestamp()
        if now <= state.close_deadline:
            m.advance(state.close_deadline - now + 1)
    m.platform.tx(m.platform.actors.customer,
                  m.platform.payments.functions.settle(m.rental.channel_id))


@step("redeem", begins=NONE, ends=NONE)
def redeem(ctx: RunContext, s: Step) -> None:
    """Ask the machine to redeem now (the operator's button)."""
    ctx.machine.control.request("redeem")
