"""net.latency — a slow link: every message waits `ms` ± `jitter_ms`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rig.effects import Effect
from rig.faults.net.toxic_fault import ToxicFault
from rig.faults.registry import register


@register
@dataclass
class NetLatency(ToxicFault):
    kind = "net.latency"
    effects = frozenset({Effect.SLOWS_UPLINK})
    description = ("delay every message on `stream` (downstream = the node's answers) by "
                   "`ms` ± `jitter_ms` (uniform, seeded)")
    toxic = "latency"
    ms: float = 200.0
    jitter_ms: float = 0.0
    stream: str = "downstream"

    def __post_init__(self) -> None:
        self.require(self.ms >= 0, f"ms must be >= 0, got {self.ms}")
        self.require(self.jitter_ms >= 0, f"jitter_ms must be >= 0, got {self.jitter_ms}")
        self.check_stream(self.stream)
        self.check_toxic()

    def toxic_params(self) -> dict[str, Any]:
        return {"ms": self.ms, "jitter_ms": self.jitter_ms, "stream": self.stream}
