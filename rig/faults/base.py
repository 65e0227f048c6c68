"""What every fault kind is: parameters (validated), fire, heal, and a timeline entry each.

A fault kind is a dataclass: its fields are its parameters, ``__post_init__`` validates
them, ``fire`` injects it, ``heal`` undoes it. Randomness comes only from ``ctx.rng``,
derived from the run's seed, so a seed replays the same faults.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from rig.faults.context import FaultContext


class FaultError(ValueError):
    """An unknown fault kind or a bad parameter; the message says which and what is allowed."""


@dataclass
class Fault:
    kind: ClassVar[str]
    family: ClassVar[str]          # power | net | chain | nfc | i2c | serial | clock
    description: ClassVar[str]

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
