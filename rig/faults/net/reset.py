"""net.reset — every connection to the chain is reset, open ones and new ones."""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.net.toxic_fault import ToxicFault
from rig.faults.registry import register


@register
@dataclass
class NetReset(ToxicFault):
    kind = "net.reset"
    effects = frozenset({Effect.CUTS_UPLINK})
    description = ("reset (RST) every open connection to the chain and each new one, for "
                   "`duration` seconds or until healed")
    toxic = "reset"
    duration: float | None = None

    def __post_init__(self) -> None:
        self.require(self.duration is None or self.duration > 0,
                     f"duration must be > 0 seconds (or omitted: until healed), got "
                     f"{self.duration}")
        self.check_toxic()

    def toxic_duration(self) -> float | None:
        return self.duration
