"""net.blackhole — the uplink is dead: requests vanish, nothing answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.net.toxic_fault import ToxicFault
from rig.faults.registry import register


@register
@dataclass
class NetBlackhole(ToxicFault):
    kind = "net.blackhole"
    effects = frozenset({Effect.CUTS_UPLINK})
    description = ("the link to the chain goes dead: every connection falls silent, new ones "
                   "too (the firmware only sees timeouts); optionally hang up after "
                   "`timeout_seconds`")
    toxic = "blackhole"
    timeout_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.require(self.timeout_seconds >= 0,
                     f"timeout_seconds must be >= 0 (0 = never hang up), got "
                     f"{self.timeout_seconds}")
        self.check_toxic()

    def toxic_params(self) -> dict[str, Any]:
        return {"timeout_seconds": self.timeout_seconds}
