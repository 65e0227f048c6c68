"""net.bandwidth — a thin link: at most `bytes_per_second` get through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.net.toxic_fault import ToxicFault
from rig.faults.registry import register


@register
@dataclass
class NetBandwidth(ToxicFault):
    kind = "net.bandwidth"
    effects = frozenset({Effect.SLOWS_UPLINK})
    description = ("limit `stream` (downstream = the node's answers) to `bytes_per_second`; "
                   "big responses such as log queries trickle in")
    toxic = "bandwidth"
    bytes_per_second: int = 1000
    stream: str = "downstream"

    def __post_init__(self) -> None:
        self.require(self.bytes_per_second >= 1,
                     f"bytes_per_second must be >= 1, got {self.bytes_per_second}")
        self.check_stream(self.stream)
        self.check_toxic()

    def toxic_params(self) -> dict[str, Any]:
        return {"bytes_per_second": self.bytes_per_second, "stream": self.stream}
