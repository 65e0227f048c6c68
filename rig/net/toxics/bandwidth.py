"""bandwidth — the link carries at most ``bytes_per_second``, shared by all its connections.

Messages go out in slices of 1/20 s worth of bytes, each when its turn on the shared link
comes, so in any window of W seconds at most ``bytes_per_second * W`` + one slice pass. A
client's read timeout does not fire (bytes keep coming); the link is just thin.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rig.net.toxics.base import Message, Send, Toxic
from rig.net.toxics.registry import register

SLICES_PER_SECOND = 20


@register
@dataclass(kw_only=True, eq=False)
class Bandwidth(Toxic):
    kind = "bandwidth"
    description = "limit the link to bytes_per_second (all connections together), paced"
    bytes_per_second: int = 1_000_000

    def validate(self) -> None:
        self.require(self.bytes_per_second >= 1,
                     f"bytes_per_second must be >= 1, got {self.bytes_per_second}")
        self._free_at = 0.0  # loop time at which the link can start the next slice

    @property
    def slice_size(self) -> int:
        return max(1, self.bytes_per_second // SLICES_PER_SECOND)

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        loop = asyncio.get_running_loop()
        step = self.slice_size
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            self._free_at = max(loop.time(), self._free_at) + len(piece) / self.bytes_per_second
            await asyncio.sleep(self._free_at - loop.time())
            await send(piece)
