"""Employees buying coffee: one tap, or many."""

from __future__ import annotations

from rig.effects import NONE
from rig.scenario.context import RunContext, StepFailed
from rig.scenario.model import Step
from rig.scenario.steps.registry import step

VERDICTS = ("served", "refused", "lost", "credited", "pending", "interrupted", "any")


PRESENT_AND_SELECT = frozenset({"phone_presenter", "product_panel"})


@step("tap", begins=NONE, ends=NONE, hardware=PRESENT_AND_SELECT,
      phone=(int, 1), product=((int, type(None)), None), expect=(str, "served"))
def tap(ctx: RunContext, s: Step, phone: int, product: int | None, expect: str) -> None:
    if expect not in VERDICTS:
        raise StepFailed(s, f"expect must be one of {VERDICTS}")
    out = ctx.machine.tap(ctx.phone(s, phone), product=product)
    ctx.record_op("tap", phone=phone, product=product, verdict=out.verdict, reason=out.reason,
                  sequence=out.sequence, retaps=out.retaps)
    if expect != "any" and out.verdict != expect:
        raise StepFailed(s, f"phone {phone} expected {expect!r}, the machine said "
                            f"{out.verdict!r}: {out.reason}")


@step("coffees", begins=NONE, ends=NONE, hardware=PRESENT_AND_SELECT, count=(int, 1),
      phones=((list, type(None)), None), products=((list, type(None)), None),
      expect=(str, "served"))
def coffees(ctx: RunContext, s: Step, count: int, phones: list | None, products: list | None,
            expect: str) -> None:
    """``count`` purchases by randomly chosen phones and products (from the run's seed)."""
    who = phones or list(range(1, len(ctx.machine.phones) + 1))
    what = products or sorted(ctx.machine.rental.terms.prices)
    for _ in range(count):
        tap(ctx, s, ctx.rng.choice(who), ctx.rng.choice(what), expect)
