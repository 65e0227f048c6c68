"""What each timeline entry changes, read from the declarations of the fault or step behind it.

A fault entry (``kind`` = the fault kind) begins the kind's declared effects at one of its
``begins_on`` actions and ends them at one of its ``ends_on`` actions (rig/faults/base.py);
a step entry (action ``step``) begins and ends what its step kind declares
(rig/scenario/steps/registry.py). The runner's own ``final`` phase heals everything: it ends
every effect. Nothing here knows a fault or step by name, so a new kind is judged by what it
declares, and one that declares nothing is refused (``HistoryError``) rather than misjudged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rig.effects import Effect
from rig.history import TimelineEntry
from rig.oracle.errors import HistoryError

if TYPE_CHECKING:
    from rig.faults.base import Fault

RUNNER_FINAL = "final"
"""The step the scenario runner records when it heals every fault, powers the machine on and
brings the link up for the final sync (rig/scenario/runner.py): not a scenario step."""


@dataclass(frozen=True)
class Change:
    """The effects one entry begins and ends; ``source`` is the fault kind or step name."""

    source: str
    begins: frozenset[Effect] = frozenset()
    ends: frozenset[Effect] = frozenset()


def step_name(entry: TimelineEntry) -> str | None:
    """A step entry's name: its kind (how the runner records steps), or for kind ``step``
    (histories written by hand before the runner existed) ``params["step"]`` / ``["name"]``."""
    if entry.action != "step":
        return None
    if entry.kind != "step":
        return entry.kind
    for key in ("step", "name"):
        value = entry.params.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _step_effects(name: str) -> tuple[frozenset[Effect], frozenset[Effect]] | None:
    import rig.scenario.steps  # noqa: F401  (registers every step kind)
    from rig.scenario.steps.registry import step_effects, step_kinds

    if name not in step_kinds():
        raise HistoryError(f"timeline step {name!r} is not a scenario step kind, so what it "
                           f"did to power and uplink is unknown; step kinds: "
                           f"{', '.join(step_kinds())}")
    return step_effects(name)


def _fault(kind: str, entry: TimelineEntry) -> type[Fault] | None:
    """The fault class behind an entry, None for the runner's own notes (``expectation``,
    ``final`` ``incomplete``, a step ``interrupted``); an unknown kind that fired is refused."""
    from rig.faults import FaultError, fault_class, kinds

    try:
        cls = fault_class(kind)
    except FaultError:
        if entry.action == "fire":
            raise HistoryError(f"timeline entry at {entry.at}: fault {kind!r} fired, but the "
                               f"fault catalog has no such kind, so its effects are unknown "
                               f"(renamed or removed?); known: {', '.join(kinds())}") from None
        return None
    if "effects" not in dir(cls):
        raise HistoryError(f"fault kind {kind!r} ({cls.__module__}.{cls.__name__}) declares no "
                           "effects: set its ClassVar `effects` (frozenset() for none)")
    return cls


def change_of(entry: TimelineEntry) -> Change:
    """What ``entry`` begins and ends, from the declarations."""
    name = step_name(entry)
    if name == RUNNER_FINAL:
        return Change(name, ends=frozenset(Effect))
    if name is not None:
        declared = _step_effects(name)
        if declared is None:
            raise HistoryError(f"step kind {name!r} declares no effects: give its @step "
                               "begins=... and ends=... (NONE for none)")
        return Change(name, *declared)
    cls = _fault(entry.kind, entry)
    if cls is None:
        return Change(entry.kind)
    effects = cls.effects_of(entry.params)
    return Change(entry.kind,
                  effects if entry.action in cls.begins_on else frozenset(),
                  effects if entry.action in cls.ends_on else frozenset())
