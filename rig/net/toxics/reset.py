"""reset — open connections are reset (RST) and every new one is reset as it opens."""

from __future__ import annotations

from dataclasses import dataclass

from rig.net.toxics.base import BOTH, LinkHandle, Message, ResetLink, Send, Toxic
from rig.net.toxics.registry import register


@register
@dataclass(kw_only=True, eq=False)
class Reset(Toxic):
    kind = "reset"
    description = "reset every open connection and each new one (the client sees ECONNRESET)"
    default_stream = BOTH

    def on_link(self, link: LinkHandle) -> None:
        link.reset(f"{self.name}: connection reset")

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        raise ResetLink(f"{self.name}: connection reset")
