"""Lost reply: the board's next reply never reaches the firmware.

With ``executed=True`` the board acts on the command and only the answer is lost (an ACK
lost after the brew started, a DONE lost after the coffee was made). With
``executed=False`` the command itself vanishes before the board acts, so nothing happens
and nothing is answered; that only makes sense for direct replies.
"""

from __future__ import annotations

from emulators.brewboard.errors import FaultConfigError
from emulators.brewboard.faults.base import BoardFault
from emulators.brewboard.faults.registry import register

REPLY_OF = {"BREW": ("ACK", "NAK"), "QUERY": ("RESULT",), "PING": ("PONG",),
            "STATUS": ("STAT",)}
REPLY_VERBS = ("ACK", "NAK", "DONE", "FAIL", "RESULT", "PONG", "STAT", "ERR")


@register("lost_reply")
class LostReply(BoardFault):
    """Drop the next ``count`` replies whose verb is ``verb`` (None: any reply)."""

    def __init__(self, verb: str | None = None, count: int | None = 1, executed: bool = True):
        super().__init__(count)
        if verb is not None and verb not in REPLY_VERBS:
            raise FaultConfigError(f"lost_reply: verb {verb!r} is not a reply verb "
                                   f"({', '.join(REPLY_VERBS)})")
        direct = {v for replies in REPLY_OF.values() for v in replies}
        if not executed and verb is not None and verb not in direct:
            raise FaultConfigError(f"lost_reply: executed=False needs a direct reply verb "
                                   f"({', '.join(sorted(direct))}); {verb} is an event or error")
        self.verb, self.executed = verb, executed

    def on_rx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        if self.executed or verb not in REPLY_OF:
            return line
        if self.verb is not None and self.verb not in REPLY_OF[verb]:
            return line
        return None if self.use() else line

    def on_tx_line(self, line: bytes, verb: str, now: float) -> bytes | None:
        if not self.executed or (self.verb is not None and verb != self.verb):
            return line
        return None if self.use() else line

    def describe(self) -> str:
        how = "after acting" if self.executed else "before acting"
        return f"{super().describe()}: {self.verb or 'any'} {how}"
