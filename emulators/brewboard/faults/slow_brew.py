"""Slow brew: the boiler cannot keep up, so a running brew does not finish until healed.

The board stays BUSY with the brew it is dispensing (STATUS busy, QUERY RUNNING, a new BREW
refused BUSY); healing lets it finish as it would have. It is how a coffee that outlives a
firmware restart is held on the board for as long as a test needs it, without a race
against the brew's real duration.
"""

from __future__ import annotations

from emulators.brewboard.faults.base import BoardFault
from emulators.brewboard.faults.registry import register


@register("slow_brew")
class SlowBrew(BoardFault):
    """Hold every running brew unfinished while active (until healed)."""

    def __init__(self) -> None:
        super().__init__(None)

    def holds_brew(self) -> bool:
        return True
