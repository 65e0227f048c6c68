"""Faults spread over a fleet's day: power cuts on a share of the machines, a network
partition of a subset for hours, node restarts and reorgs of the shared chain.

The plan is drawn from the fleet's seed before the day starts, so it is part of the replay;
each planned fault is a registered fault kind (rig/faults), fired and healed through the
machine's own run context, so its timeline and the oracle see it as in any scenario.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any

from rig.fleet.names import machine_names
from rig.fleet.office_day import OfficeDay


@dataclass(frozen=True)
class FleetFaults:
    """How much goes wrong in a day. Shares are of the fleet's machines."""

    power_share: float = 0.10
    power_minutes: tuple[float, float] = (5.0, 60.0)
    partition_share: float = 0.10
    partition_hours: float = 3.0
    node_restarts: int = 1
    reorgs: int = 2
    reorg_depth: int = 2

    def __post_init__(self) -> None:
        for name in ("power_share", "partition_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        low, high = self.power_minutes
        if not 0 < low <= high:
            raise ValueError(f"power_minutes must be 0 < low <= high, got {self.power_minutes}")
        if self.partition_hours <= 0:
            raise ValueError(f"partition_hours must be > 0, got {self.partition_hours}")
        if min(self.node_restarts, self.reorgs) < 0 or self.reorg_depth < 1:
            raise ValueError("node_restarts and reorgs must be >= 0, reorg_depth >= 1")

    @classmethod
    def none(cls) -> FleetFaults:
        return cls(power_share=0, partition_share=0, node_restarts=0, reorgs=0)


@dataclass(frozen=True)
class PlannedFault:
    """``kind`` fires at ``at`` (seconds after midnight) on ``machines`` (empty: the chain,
    for every machine) and heals at ``heal_at`` (None: it heals itself)."""

    at: float
    heal_at: float | None
    kind: str
    machines: tuple[int, ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def chain_wide(self) -> bool:
        return not self.machines

    def describe(self) -> str:
        where = "the chain" if self.chain_wide else \
            f"{len(self.machines)} machine(s) {machine_names(self.machines)}"
        until = "" if self.heal_at is None else f" until {_clock(self.heal_at)}"
        return f"{_clock(self.at)}{until}: {self.kind} on {where}"


def _clock(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def plan(faults: FleetFaults, day: OfficeDay, machines: int,
         rng: random.Random) -> list[PlannedFault]:
    """The day's faults in firing order; all of them strike during opening hours."""
    out: list[PlannedFault] = []
    everyone = range(machines)
    for i in rng.sample(everyone, round(faults.power_share * machines)):
        at = rng.uniform(day.opens, day.closes)
        out.append(PlannedFault(at, at + 60 * rng.uniform(*faults.power_minutes),
                                "power.cut", (i,)))
    cut_off = tuple(sorted(rng.sample(everyone, round(faults.partition_share * machines))))
    if cut_off:
        at = rng.uniform(day.opens, max(day.opens, day.closes - 3600 * faults.partition_hours))
        out.append(PlannedFault(at, at + 3600 * faults.partition_hours, "net.blackhole",
                                cut_off))
    for _ in range(faults.node_restarts):
        at = rng.uniform(day.opens, day.closes)
        out.append(PlannedFault(at, None, "chain.node_restart", (), {"down_seconds": 0.5}))
    for _ in range(faults.reorgs):
        out.append(PlannedFault(rng.uniform(day.opens, day.closes), None, "chain.reorg", (),
                                {"depth": rng.randint(1, faults.reorg_depth)}))
    return sorted(out, key=lambda f: f.at)


def on_machines(planned: list[PlannedFault], machines: Collection[int]) -> list[PlannedFault]:
    """The part of a fleet's plan that strikes ``machines`` (a shard): every chain-wide
    fault (each shard's chain gets it), and each machine fault narrowed to them."""
    out = []
    for f in planned:
        if f.chain_wide:
            out.append(f)
        elif mine := tuple(i for i in f.machines if i in machines):
            out.append(replace(f, machines=mine))
    return out
