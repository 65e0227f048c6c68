"""When chain time passed a channel's close deadline, as a moment on the host-clock timeline.

After the deadline the contract refuses every redeem (``ChallengePeriodOver``: a block whose
timestamp is above ``CloseRequested.deadline``), so the close window ends there even when
nobody settles. The chain only has timestamps and the timeline only host time; what joins
them is how the rig's anvil keeps time: a block's timestamp is the host clock plus an offset,
and only warps move the offset (``evm_increaseTime``: an entry beginning ``MOVES_CHAIN_TIME``,
such as a ``chain.time_warp`` fire or a ``warp`` step). anvil never runs ahead of the clock
(blocks mined in one second share its timestamp).

So from the close on, chain time is at least

    timestamp(close block) + (t - t_mined) + seconds warped since the close step

where the close transaction was mined (t_mined) no later than the timeline entry after the
``close`` step: the step returns once it is mined. The deadline has certainly passed at the
first moment this lower bound reaches ``deadline + 1`` (``at``): the warp entry that took it
there, or the moment host time alone did.

Block timestamps are whole seconds, so chain time can also run up to a second ahead of that
bound, and the close can have been mined as early as the close step's own entry. The
deadline can therefore have passed as early as the first moment host time since the close
step plus the seconds warped reach ``deadline - timestamp(close block)`` (``earliest``): a
warp 14 ms after the close was mined can end the window at once. Whether the machine could
act in the window is judged up to ``earliest``; ``at`` is when it certainly ended. The
``settle`` step also warps (by an amount the timeline does not record); it ends the window
by itself.

This is evidence only when the final chain agrees: a scanned block (``History.blocks``) is
past the deadline. Without one, or without a ``close`` step or a CloseRequested event, there
is no evidence and the window stays open-ended (the strict reading).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rig.effects import Effect
from rig.history import Block, ChainEvent, TimelineEntry
from rig.oracle.effects import change_of

UNITS = {"seconds": 1, "hours": 3600, "days": 86400}
"""How an entry that moves chain time states how far (a fault's ``seconds``; a ``warp``
step's ``seconds`` + ``hours`` + ``days``, the step's own arithmetic)."""


def _number(params: dict, key: str) -> float:
    value = params.get(key, 0)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def warped_seconds(entry: TimelineEntry) -> int:
    """Chain seconds this entry moved chain time forward by (0 for anything but a warp)."""
    if Effect.MOVES_CHAIN_TIME not in change_of(entry).begins:
        return 0
    total = sum(_number(entry.params, k) * unit for k, unit in UNITS.items())
    return max(0, int(total))


@dataclass(frozen=True)
class DeadlinePassed:
    """The evidence that chain time passed the close deadline, the host moment ``at`` by
    which it certainly had, and the first moment ``earliest`` it can have."""

    at: float
    deadline: int
    close: ChainEvent           # the CloseRequested event: its block's timestamp anchors
    warped: int                 # chain seconds warped after the close step, up to ``at``
    by: TimelineEntry | None    # the warp that crossed it; None when host time alone did
    first_block_past: Block     # the final chain's first block above the deadline
    earliest: float             # the first host moment chain time can have passed it

    @property
    def needed(self) -> int:
        """Chain seconds that had to pass after the close block for a redeem to be refused."""
        return self.deadline + 1 - self.close.timestamp

    def describe(self) -> str:
        how = (f"the {self.by.kind} of {warped_seconds(self.by)} s" if self.by is not None
               else f"{max(0, self.needed - self.warped)} s of host time")
        return (f"chain time passed the close deadline {self.deadline} with {how} (block "
                f"{self.first_block_past.number} at {self.first_block_past.timestamp} is the "
                f"first past it)")

    def to_json(self) -> dict:
        return {"at": self.at, "earliest": self.earliest, "deadline": self.deadline,
                "close_block": self.close.block,
                "close_timestamp": self.close.timestamp, "chain_seconds_needed": self.needed,
                "warped_s": self.warped, "by": asdict(self.by) if self.by else None,
                "first_block_past": asdict(self.first_block_past)}


def _crossing(after: list[TimelineEntry], needed: int) -> tuple[float, int, TimelineEntry | None]:
    """The first moment, from the entry after the close step on, at which host time since
    that entry plus the seconds warped reach ``needed``; with what was warped and the warp."""
    start, warped = after[0].at, 0
    for e in after:
        if warped + (e.at - start) >= needed:
            return start + max(0, needed - warped), warped, None
        seconds = warped_seconds(e)
        if seconds:
            warped += seconds
            if warped + (e.at - start) >= needed:
                return e.at, warped, e
    return start + (needed - warped), warped, None


def deadline_passed(timeline: list[TimelineEntry], close_step: TimelineEntry,
                    close: ChainEvent, deadline: int,
                    blocks: list[Block]) -> DeadlinePassed | None:
    """When chain time passed ``deadline`` (the ``close`` event's), or None without evidence:
    no entry after the close step, or no block of the final chain past the deadline."""
    past = min((b for b in blocks if b.timestamp > deadline), key=lambda b: b.number,
               default=None)
    entries = sorted(timeline, key=lambda e: e.at)
    after = entries[entries.index(close_step) + 1:]
    if past is None or not after:
        return None
    needed = deadline + 1 - close.timestamp
    at, warped, by = _crossing(after, needed)
    earliest, _, _ = _crossing([close_step, *after], needed - 1)
    return DeadlinePassed(at, deadline, close, warped, by, past, min(earliest, at))
