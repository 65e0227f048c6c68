"""loss — a share of the JSON-RPC exchanges is lost: the request never reaches the node.

Each request is lost with probability ``percent`` / 100, drawn from the toxic's seeded
generator, and the client's connection is closed as a lost packet ends a TCP exchange that
gives up; the others pass untouched. A lossy uplink, not a dead one: it is what a machine on
a poor mobile link meets, between "online" and "offline".
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.net.toxics.base import UPSTREAM, HangUp, Message, Send, Toxic
from rig.net.toxics.registry import register


@register
@dataclass(kw_only=True, eq=False)
class Loss(Toxic):
    kind = "loss"
    description = ("lose each request with probability `percent`/100 (seeded) and hang up on "
                   "the client; the node never sees it")
    default_stream = UPSTREAM
    percent: float = 10.0

    def validate(self) -> None:
        self.require(self.stream == UPSTREAM, "acts on requests: stream must be upstream")
        self.require(0.0 < self.percent <= 100.0,
                     f"percent must be in (0, 100], got {self.percent}")
        self.lost = 0

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        if msg.methods and self.rng.random() * 100.0 < self.percent:
            self.lost += 1
            raise HangUp(f"{self.name}: request {'/'.join(msg.methods)} lost",
                         event="request-lost")
        await send(data)
