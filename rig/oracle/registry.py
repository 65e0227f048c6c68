"""The invariant catalog: id → check, filled by the ``@invariant`` decorator of each file.

One invariant per module (``inv1_no_free_coffee.py`` …); adding one is adding a file, the
checker never lists them by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rig.oracle.facts import Facts

Outcome = Literal["ok", "fail", "info"]


@dataclass(frozen=True)
class Finding:
    """One thing an invariant found wrong (``fail``) or could not decide (``info``).

    ``at`` is the host wall-clock moment the finding is about (it picks the timeline entries
    shown around it); ``severity`` orders findings for Jepsen's *worst* (credits off, or 1).
    """

    outcome: Literal["fail", "info"]
    message: str
    evidence: dict[str, list[dict]] = field(default_factory=dict)
    at: float | None = None
    severity: float = 1.0


@dataclass(frozen=True)
class Result:
    """What one invariant concluded: its findings and what it looked at (for the summary)."""

    findings: list[Finding]
    checked: str


Check = Callable[["Facts"], Result]


GROUND_TRUTH = frozenset({"signed", "dispensed"})
"""What the parts witness (the phones' receipts, the board's dispenses), as opposed to what
the chain and the firmware's marks say."""


@dataclass(frozen=True)
class Invariant:
    id: str
    name: str
    check: Check
    reads: frozenset[str] = frozenset()   # of GROUND_TRUTH: undecided when it is unknown

    @property
    def number(self) -> int:
        return int(self.id.removeprefix("INV-"))


_CATALOG: dict[str, Invariant] = {}


def invariant(id_: str, name: str, reads: frozenset[str] = frozenset()
              ) -> Callable[[Check], Check]:
    """Register ``check`` as invariant ``id_`` (``"INV-<n>"``); ``reads`` names the ground
    truth of the parts it decides from (``GROUND_TRUTH``)."""
    if not id_.startswith("INV-") or not id_.removeprefix("INV-").isdigit():
        raise ValueError(f"invariant id {id_!r} must look like 'INV-<number>'")
    if not reads <= GROUND_TRUTH:
        raise ValueError(f"{id_} reads {sorted(reads - GROUND_TRUTH)}: not ground truth; "
                         f"known: {sorted(GROUND_TRUTH)}")

    def register(check: Check) -> Check:
        if id_ in _CATALOG:
            raise RuntimeError(f"invariant {id_} registered twice "
                               f"({_CATALOG[id_].check.__module__} and {check.__module__})")
        _CATALOG[id_] = Invariant(id_, name, check, frozenset(reads))
        return check

    return register


def invariants() -> list[Invariant]:
    """Every registered invariant, INV-1 first."""
    return sorted(_CATALOG.values(), key=lambda i: i.number)
