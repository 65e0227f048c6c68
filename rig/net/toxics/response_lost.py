"""response_lost — the node got the request and executed it; its answer never comes back.

The request passes untouched; its response is dropped and the client's connection closed,
``count`` times, then responses pass again. For ``eth_sendRawTransaction`` the transaction
is in the pool (or mined) while the sender saw only a broken connection: the case that
proves whether a client re-sends the same signed bytes or signs a second transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.net.toxics.base import DOWNSTREAM, HangUp, Message, Send, Toxic
from rig.net.toxics.registry import register

ANY_METHOD = "*"


@register
@dataclass(kw_only=True, eq=False)
class ResponseLost(Toxic):
    kind = "response_lost"
    description = ("drop the responses to `method` (\"*\" = any) `count` times and hang up "
                   "on the client; the node did execute the request")
    method: str = "eth_sendRawTransaction"
    count: int = 1

    def validate(self) -> None:
        self.require(self.stream == DOWNSTREAM, "acts on responses: stream must be downstream")
        self.require(bool(self.method.strip()), "method must name a JSON-RPC method or '*'")
        self.require(self.count >= 1, f"count must be >= 1, got {self.count}")
        self.dropped = 0

    @property
    def remaining(self) -> int:
        return self.count - self.dropped

    def matches(self, methods: tuple[str, ...]) -> bool:
        return bool(methods) and (self.method == ANY_METHOD or self.method in methods)

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        if self.remaining > 0 and self.matches(msg.methods):
            self.dropped += 1
            raise HangUp(f"{self.name}: response to {'/'.join(msg.methods)} dropped "
                         f"({self.dropped} of {self.count})", event="response-dropped")
        await send(data)
