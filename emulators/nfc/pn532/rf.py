"""What the chip needs from the air: send a 106 kbit/s Type A frame, wait for the answer.

The chip's command handlers speak to this protocol, never to a transport, so the same chip
can sit in front of the emulated ``Field`` (``udp_bridge.FieldBridge``) or anything else
that carries frames to a card.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class RfLink(Protocol):
    def transceive(self, frame: bytes, timeout: float | None,
                   abort: Sequence[int] = ()) -> bytes | None:
        """Send ``frame`` with the field on and return the card's answer, or None after
        ``timeout`` seconds of silence (None: wait as long as it takes). Raises
        ``CommandAborted`` as soon as one of the ``abort`` descriptors is readable."""
        ...

    def field_off(self) -> None:
        """Switch the RF field off: every card in it powers down."""
        ...

    def flush(self) -> None:
        """Forget answers still on their way: a new activation starts (REQA)."""
        ...

    def close(self) -> None: ...
