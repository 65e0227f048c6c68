"""What a scenario is, once loaded and validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    profile: str = "emulated"
    phones: int = 3
    prices: dict[int, int] | None = None        # product → price; None: the rental default
    deposit: int = 50_000_000                   # the channel's credit deposit
    redeem_threshold: int = 10**12              # redeem when this much is unredeemed
    redeem_interval: float = 10**9              # ... or when this many seconds passed
    confirmations: int = 1
    sync_interval: float = 0.3
    challenge_period: int = 24 * 3600


@dataclass(frozen=True)
class Step:
    kind: str
    args: dict[str, Any]
    where: str                                  # file:step path, for error messages
    children: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    settings: Settings
    steps: tuple[Step, ...]
    source: Path | None = None
    tags: tuple[str, ...] = field(default=())
    # What the scenario exists to prove: invariant id → the outcome it must reach ("ok").
    # A target the oracle leaves undecided makes the run inconclusive, not passed.
    expect: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.source.stem if self.source else self.name
