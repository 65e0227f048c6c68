"""blackhole — nothing passes, nothing answers: a dead uplink seen from the firmware.

The first message a link tries to carry while the toxic is on is swallowed and the link
stays silent for good (a client only recovers by timing out and reconnecting), as a TCP
connection across a pulled cable does. With ``timeout_seconds`` the proxy hangs up after
that long (toxiproxy's ``timeout`` toxic); 0 keeps the client waiting forever.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.net.toxics.base import BOTH, GoSilent, Message, Send, Toxic
from rig.net.toxics.registry import register


@register
@dataclass(kw_only=True, eq=False)
class Blackhole(Toxic):
    kind = "blackhole"
    description = "swallow everything; the link stays silent (hang up after timeout_seconds)"
    default_stream = BOTH
    timeout_seconds: float = 0.0

    def validate(self) -> None:
        self.require(self.timeout_seconds >= 0,
                     f"timeout_seconds must be >= 0, got {self.timeout_seconds}")

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        raise GoSilent(f"{self.name}: {msg.stream} {'/'.join(msg.methods) or 'data'} "
                       f"swallowed", self.timeout_seconds or None)
