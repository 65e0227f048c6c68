"""slicer — messages arrive in many small TCP segments, with a pause between them.

Finds readers that assume one ``recv`` is one message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rig.net.toxics.base import Message, Send, Toxic
from rig.net.toxics.registry import register


@register
@dataclass(kw_only=True, eq=False)
class Slicer(Toxic):
    kind = "slicer"
    description = ("cut each message into slices of average_size ± size_variation bytes, "
                   "delay_ms apart")
    average_size: int = 64
    size_variation: int = 0
    delay_ms: float = 1.0

    def validate(self) -> None:
        self.require(self.average_size >= 1, f"average_size must be >= 1, got "
                                             f"{self.average_size}")
        self.require(0 <= self.size_variation < self.average_size,
                     f"size_variation must be in [0, average_size), got {self.size_variation}")
        self.require(self.delay_ms >= 0, f"delay_ms must be >= 0, got {self.delay_ms}")

    def sizes(self, total: int) -> list[int]:
        out: list[int] = []
        while total > 0:
            v = self.size_variation
            size = self.average_size + (self.rng.randint(-v, v) if v else 0)
            out.append(min(size, total))
            total -= out[-1]
        return out

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        at = 0
        for n, size in enumerate(self.sizes(len(data))):
            if n:
                await asyncio.sleep(self.delay_ms / 1000.0)
            await send(data[at:at + size])
            at += size
