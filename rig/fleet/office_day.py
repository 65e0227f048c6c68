"""The office day: when each employee of each office comes for a coffee, and which one.

From the platform's paper: 164 litres of coffee per person per year in 0.125 l cups is 1,312
coffees a year; over 250 working days that is 5.25 a working day, about 210 a day for a
40-person office. Each employee's count for the day is Poisson around that mean; the times
follow an office's rhythm (a morning peak, a lull at lunch, an after-lunch peak) and the
products a plausible mix. Everything is drawn from the one ``random.Random`` handed in, so
the fleet's seed replays the day exactly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

LITRES_PER_PERSON_YEAR = 164.0
CUP_LITRES = 0.125
WORKDAYS_PER_YEAR = 250
EMPLOYEES_PER_OFFICE = 40
DAY_STARTS = 8 * 3600          # seconds after midnight
# Share of the day's coffees in each hour from 08:00 to 18:00.
HOURLY_SHARE = (0.12, 0.16, 0.12, 0.08, 0.06, 0.14, 0.12, 0.10, 0.06, 0.04)
# product id -> share (espresso, coffee, cappuccino, latte: rig/platform/rental.py's prices)
PRODUCT_MIX = {1: 0.30, 2: 0.35, 3: 0.20, 4: 0.15}


def coffees_per_person_day(litres_per_year: float = LITRES_PER_PERSON_YEAR,
                           workdays: int = WORKDAYS_PER_YEAR) -> float:
    """The paper's consumption as coffees per employee per working day (5.248)."""
    return litres_per_year / CUP_LITRES / workdays


@dataclass(frozen=True)
class OfficeDay:
    """The day's parameters; the defaults are the paper's."""

    employees: int = EMPLOYEES_PER_OFFICE
    coffees_per_person: float = coffees_per_person_day()
    hourly_share: tuple[float, ...] = HOURLY_SHARE
    products: tuple[tuple[int, float], ...] = tuple(PRODUCT_MIX.items())

    def __post_init__(self) -> None:
        if self.employees < 1:
            raise ValueError(f"an office needs at least one employee, got {self.employees}")
        if self.coffees_per_person < 0:
            raise ValueError(f"coffees per person must be >= 0, got {self.coffees_per_person}")
        if not self.hourly_share or any(s < 0 for s in self.hourly_share) or \
                not math.isclose(sum(self.hourly_share), 1.0, abs_tol=1e-9):
            raise ValueError(f"hourly shares must be >= 0 and add up to 1, got "
                             f"{self.hourly_share}")

    @property
    def opens(self) -> int:
        return DAY_STARTS

    @property
    def closes(self) -> int:
        return DAY_STARTS + 3600 * len(self.hourly_share)


@dataclass(frozen=True, order=True)
class Arrival:
    """Employee ``employee`` of office ``machine`` wants ``product`` at ``at`` (seconds
    after midnight of the simulated day)."""

    at: float
    machine: int
    employee: int
    product: int


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: exact and fast for the small means of a coffee count."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def arrivals(day: OfficeDay, machines: int, rng: random.Random) -> list[Arrival]:
    """Every coffee of the day at ``machines`` offices, in time order."""
    hours = range(len(day.hourly_share))
    ids, weights = zip(*day.products, strict=True)
    out = []
    for machine in range(machines):
        for employee in range(day.employees):
            for _ in range(_poisson(rng, day.coffees_per_person)):
                hour = rng.choices(hours, weights=day.hourly_share)[0]
                at = day.opens + 3600 * hour + rng.uniform(0, 3600)
                out.append(Arrival(round(at, 3), machine, employee,
                                   rng.choices(ids, weights=weights)[0]))
    return sorted(out)
