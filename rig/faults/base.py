"""What every fault kind is: parameters (validated), fire, heal, and a timeline entry each.

A fault kind is a dataclass: its fields are its parameters, ``__post_init__`` validates
them, ``fire`` injects it, ``heal`` undoes it. Randomness comes only from ``ctx.rng``,
derived from the run's seed, so a seed replays the same faults.

Each kind declares what it does (``effects``, rig/effects.py; ``frozenset()`` for nothing the
oracle needs to know) and the timeline actions at which that begins and ends, so the oracle
judges a fault it has never seen by its declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from rig.effects import Effect

if TYPE_CHECKING:
    from rig.faults.context import FaultContext


class FaultError(ValueError):
    """An unknown fault kind or a bad parameter; the message says which and what is allowed."""


@dataclass
class Fault:
    kind: ClassVar[str]
    family: ClassVar[str]          # power | net | chain | nfc | i2c | serial | clock
    description: ClassVar[str]
    effects: ClassVar[frozenset[Effect]]   # no default: every kind declares, empty or not
    begins_on: ClassVar[frozenset[str]] = frozenset({"fire"})
    """Timeline actions of this kind at which its effects begin (e.g. ``cut`` for a fault
    that arms at ``fire``)."""
    ends_on: ClassVar[frozenset[str]] = frozenset({"heal"})
    """Timeline actions at which they end (empty for an instantaneous effect)."""
    hardware: ClassVar[frozenset[str]]   # no default: every kind declares, empty or not
    """Capabilities of the machine's parts the kind acts through (rig/hardware/protocols.py):
    on a profile whose parts lack one, a scenario using the kind is refused before it runs."""
    needs: ClassVar[frozenset[str]] = frozenset()
    """Chain capabilities (rig/chain/capabilities.py) the kind needs from the node, plus
    ``node_process`` for the node's own process: on a node without one, a scenario using
    the kind skips with it named."""
    notes: ClassVar[frozenset[str]] = frozenset()
    """Other timeline actions the kind records, which change no effect (e.g. a ``miss``)."""

    @classmethod
    def effects_of(cls, params: dict[str, Any]) -> frozenset[Effect]:
        """The effects of one firing with these parameters (the declaration, unless a
        parameter decides, e.g. ``i2c.missing`` with ``at_boot``)."""
        return cls.effects

    def fire(self, ctx: FaultContext) -> None:
        raise NotImplementedError

    def heal(self, ctx: FaultContext) -> None:
        """Undo the fault; the default is nothing (faults that are over once fired)."""

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # -- validation helpers for __post_init__ --------------------------------------------
    def require(self, ok: bool, message: str) -> None:
        if not ok:
            raise FaultError(f"{self.kind}: {message}")
