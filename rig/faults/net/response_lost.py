"""net.response_lost — the node executed the request, the answer is lost on the way back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.net.toxic_fault import ToxicFault
from rig.faults.registry import register


@register
@dataclass
class NetResponseLost(ToxicFault):
    kind = "net.response_lost"
    effects = frozenset({Effect.CUTS_UPLINK})
    description = ("forward `method` requests (\"*\" = any) to the node, then drop its "
                   "response and hang up on the firmware, `count` times; later ones pass")
    toxic = "response_lost"
    method: str = "eth_sendRawTransaction"
    count: int = 1

    def __post_init__(self) -> None:
        self.require(bool(self.method.strip()) and " " not in self.method,
                     f"method must be one JSON-RPC method name or '*', got {self.method!r}")
        self.require(self.count >= 1, f"count must be >= 1, got {self.count}")
        self.check_toxic()

    def toxic_params(self) -> dict[str, Any]:
        return {"method": self.method, "count": self.count}

    def dropped(self) -> int:
        """How many responses this fault has dropped so far."""
        toxic = getattr(self, "_toxic", None)
        return getattr(toxic, "dropped", 0)
