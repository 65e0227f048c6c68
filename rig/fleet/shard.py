"""One part of a fleet, for a day spread over workers or hosts.

The whole fleet's day (its office day, its faults) is drawn from the seed as for one host,
and every machine's key, phones and draws come from the seed and its own index, so machine
*i* lives the same day whichever shard runs it. A shard takes every ``count``-th machine
(partitions and power cuts spread evenly) and runs them on a chain of its own: the day moves
chain time with every firmware's clock, which two shards on one node would fight over (a
shared node holds time back, docs/hosts.md).
"""

from __future__ import annotations

from dataclasses import dataclass


class ShardError(ValueError):
    """A shard given as anything but I/K with 1 <= I <= K."""


@dataclass(frozen=True)
class Shard:
    index: int = 0      # 0-based
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ShardError(f"shard {self.index + 1}/{self.count}: give I/K with "
                             f"1 <= I <= K")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``I/K`` (1-based, as people count): shard I of K."""
        try:
            i, k = (int(part) for part in text.split("/"))
        except ValueError:
            raise ShardError(f"shard {text!r}: give I/K, e.g. 2/4") from None
        return cls(i - 1, k)

    @property
    def whole(self) -> bool:
        return self.count == 1

    def machines(self, total: int) -> list[int]:
        """The fleet indices this shard runs."""
        if self.count > total:
            raise ShardError(f"{self.count} shards for {total} machine(s): at most one shard "
                             f"per machine")
        return list(range(self.index, total, self.count))

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"
