"""latency — every message waits ``ms`` ± ``jitter_ms`` (uniform) before it passes on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rig.net.toxics.base import Message, Send, Toxic
from rig.net.toxics.registry import register


@register
@dataclass(kw_only=True, eq=False)
class Latency(Toxic):
    kind = "latency"
    description = "delay each message by ms ± jitter_ms (uniform, from the toxic's rng)"
    ms: float = 0.0
    jitter_ms: float = 0.0

    def validate(self) -> None:
        self.require(self.ms >= 0, f"ms must be >= 0, got {self.ms}")
        self.require(self.jitter_ms >= 0, f"jitter_ms must be >= 0, got {self.jitter_ms}")

    def delay(self) -> float:
        """The next delay in seconds (never negative)."""
        jitter = self.rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.ms + jitter) / 1000.0

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        await asyncio.sleep(self.delay())
        await send(data)
