"""What a toxic is: a condition of the link that acts on every message through the proxy.

As in toxiproxy, toxics form a chain per stream: each gets the bytes of one HTTP message (or
a piece of one, from the toxic before it) and decides what reaches the next one, when, and
in how many pieces. A toxic ends a link's normal life by raising a ``LinkAction``: the link
goes silent (blackhole), hangs up (FIN) or is reset (RST). Randomness comes only from the
toxic's own ``rng``, given by whoever made it from the run's seed.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

UPSTREAM = "upstream"      # client (firmware) → node
DOWNSTREAM = "downstream"  # node → client
BOTH = "both"
STREAMS = (UPSTREAM, DOWNSTREAM, BOTH)

Send = Callable[[bytes], Awaitable[None]]


class ToxicError(ValueError):
    """An unknown toxic or a bad parameter; the message says which and what is allowed."""


@dataclass(frozen=True)
class Message:
    """What a toxic knows about the bytes it is given."""

    stream: str                    # UPSTREAM or DOWNSTREAM
    link: int                      # the proxy's id of the client connection
    methods: tuple[str, ...]       # JSON-RPC methods of the request this message belongs to


class LinkAction(Exception):
    """Raised by a toxic: the link stops relaying; ``event`` names what happened (for the
    proxy's log), ``kind`` what the link does."""

    kind: ClassVar[str] = "action"

    def __init__(self, reason: str, event: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.event = event or self.kind


class GoSilent(LinkAction):
    """Nothing more passes on this link, either way; optionally hang up after a while."""

    kind = "silent"

    def __init__(self, reason: str, close_after: float | None = None):
        super().__init__(reason)
        self.close_after = close_after


class HangUp(LinkAction):
    """Close the client's connection (FIN) without passing this message on."""

    kind = "hangup"


class ResetLink(LinkAction):
    """Reset both connections (RST): the client sees ECONNRESET."""

    kind = "reset"


class LinkHandle(Protocol):
    id: int

    def reset(self, reason: str) -> None: ...


@dataclass(kw_only=True, eq=False)
class Toxic:
    """Base class; subclasses add parameters (fields) and override ``pipe``/``on_link``."""

    kind: ClassVar[str]
    description: ClassVar[str]
    default_stream: ClassVar[str] = DOWNSTREAM

    name: str = ""
    stream: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False)

    def __post_init__(self) -> None:
        self.stream = self.stream or self.default_stream
        self.name = self.name or self.kind
        self.require(self.stream in STREAMS,
                     f"stream must be one of {', '.join(STREAMS)}, not {self.stream!r}")
        self.validate()

    def validate(self) -> None:
        """Check the parameters; raise through ``require``."""

    def require(self, ok: bool, message: str) -> None:
        if not ok:
            raise ToxicError(f"toxic {self.kind}: {message}")

    def acts_on(self, stream: str) -> bool:
        return self.stream in (stream, BOTH)

    def on_link(self, link: LinkHandle) -> None:
        """A link opened, or was open when this toxic was added."""

    async def pipe(self, data: bytes, msg: Message, send: Send) -> None:
        """Pass ``data`` on through ``send`` (or not, or later, or in pieces)."""
        await send(data)
