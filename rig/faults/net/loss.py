"""net.loss — a lossy uplink: each JSON-RPC request is lost with a given probability."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.net.toxic_fault import ToxicFault
from rig.faults.registry import register


@register
@dataclass
class NetLoss(ToxicFault):
    kind = "net.loss"
    effects = frozenset({Effect.CUTS_UPLINK})
    description = ("lose each request from the firmware to the node with probability "
                   "`percent`/100 (seeded; the connection is closed, the node never sees it)")
    toxic = "loss"
    percent: float = 10.0

    def __post_init__(self) -> None:
        self.require(0.0 < self.percent <= 100.0,
                     f"percent must be in (0, 100], got {self.percent}")
        self.check_toxic()

    def toxic_params(self) -> dict[str, Any]:
        return {"percent": self.percent}
