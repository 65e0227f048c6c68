"""Timeline entries in the runner's own vocabulary, taken from the registries.

Hand-made histories use these, so a step or fault renamed in the rig (or a timeline action a
fault no longer records) breaks the tests that rely on it instead of leaving them to test a
vocabulary nothing emits any more.
"""

from __future__ import annotations

from rig.faults import Fault, fault_class
from rig.history import TimelineEntry
from rig.oracle.effects import RUNNER_FINAL
from rig.scenario.steps import step_kinds

FAULT_ACTIONS = frozenset({"fire", "heal"})


def step_entry(at: float, name: str, **params: object) -> TimelineEntry:
    """A step as RunContext.run records it: kind = the step kind, action ``step``."""
    assert name in step_kinds() or name == RUNNER_FINAL, \
        f"{name!r} is not a step the runner records; step kinds: {step_kinds()}"
    return TimelineEntry(at, name, "step", dict(params), None, note=f"unit.yaml: {name}")


def actions_of(cls: type[Fault]) -> frozenset[str]:
    """The timeline actions a fault kind records, as it declares them: fire, heal, where its
    effects begin and end, and its notes."""
    return FAULT_ACTIONS | cls.begins_on | cls.ends_on | cls.notes


def fault_entry(at: float, kind: str, action: str, **params: object) -> TimelineEntry:
    """A fault's entry; ``kind`` must be registered and ``action`` one it records."""
    cls = fault_class(kind)
    assert action in actions_of(cls), \
        f"{kind} records no {action!r}; it records {sorted(actions_of(cls))}"
    return TimelineEntry(at, kind, action, dict(params), None, note=kind)
