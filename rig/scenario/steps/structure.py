"""Serial, parallel and repeated groups of steps."""

from __future__ import annotations

import threading

from rig.effects import NONE
from rig.scenario.context import RunContext
from rig.scenario.model import Step
from rig.scenario.steps.registry import step


@step("serial", begins=NONE, ends=NONE)
def serial(ctx: RunContext, s: Step) -> None:
    for child in s.children:
        ctx.run(child)


@step("parallel", begins=NONE, ends=NONE)
def parallel(ctx: RunContext, s: Step) -> None:
    """Run the children at the same time; the first error is raised after all finish."""
    errors: list[BaseException] = []

    def run(child: Step) -> None:
        try:
            ctx.run(child)
        except BaseException as e:  # collected and re-raised in the scenario's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in s.children]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@step("repeat", begins=NONE, ends=NONE, times=(int, 1))
def repeat(ctx: RunContext, s: Step, times: int) -> None:
    for _ in range(times):
        for child in s.children:
            ctx.run(child)
