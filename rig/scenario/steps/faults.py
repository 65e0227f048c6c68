"""Inject and heal faults from the catalog."""

from __future__ import annotations

from typing import Any

from rig.effects import NONE
from rig.faults import make_fault
from rig.scenario.context import RunContext
from rig.scenario.model import Step
from rig.scenario.steps.registry import ANY_KEYS, step


def validate_fault(args: dict) -> None:
    params = dict(args)
    kind = params.pop("kind", None)
    params.pop("name", None)
    if not isinstance(kind, str):
        raise ValueError("a fault step needs 'kind' (see `rig faults`)")
    make_fault(kind, params)


# Free-form arguments: the fault kind's own parameters ("*" is no keyword, hence the dict).
_FAULT_ARGS: dict[str, Any] = {ANY_KEYS: (object, None)}


@step("fault", begins=NONE, ends=NONE, validator=validate_fault, **_FAULT_ARGS)
def fault(ctx: RunContext, s: Step, **args: object) -> None:
    """``fault: {kind: net.blackhole, ...parameters}``; ``name`` labels it for ``heal``."""
    params = dict(args)
    kind = params.pop("kind", None)
    name = params.pop("name", None)
    ctx.fire(s, str(kind), params, name if isinstance(name, str) else None)


@step("heal", begins=NONE, ends=NONE,
      kind=((str, type(None)), None), name=((str, type(None)), None))
def heal(ctx: RunContext, s: Step, kind: str | None, name: str | None) -> None:
    """Heal the named fault, every active fault of ``kind``, or (no arguments) all of them."""
    ctx.heal(s, kind=kind, name=name)

