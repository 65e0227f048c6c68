"""What became of one brew id, as the firmware's payment logic needs to know it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BrewState(StrEnum):
    """Outcome classes of a brew id.

    DONE and FAILED are final. RUNNING means accepted and still dispensing. UNKNOWN means the
    board never accepted the id (nothing dispensed). EXPIRED means the id is older than the
    board's log remembers: the board cannot say, so the payment stays ambiguous. REJECTED is
    a refusal before starting (BUSY, STALE, ...): nothing dispensed, nothing logged.
    """

    DONE = "DONE"
    FAILED = "FAILED"
    RUNNING = "RUNNING"
    UNKNOWN = "UNKNOWN"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class BrewOutcome:
    """One brew id's fate; ``reason`` is set for FAILED and REJECTED."""

    brew_id: int
    state: BrewState
    product_id: int | None = None
    reason: str | None = None
    dispense_no: int | None = None

    @property
    def final(self) -> bool:
        """True when the board will never change its answer for this id."""
        return self.state in (BrewState.DONE, BrewState.FAILED)

    @property
    def dispensed(self) -> bool:
        """True only when the board reports a completed coffee."""
        return self.state is BrewState.DONE
