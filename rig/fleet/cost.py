"""What gas costs in euros, at the platform paper's parameters.

The inputs (../shared/notes/anchors.md, "Cost model inputs"): gas at 5 gwei, ETH at
196.04 EUR, 52,480 coffees per machine a year (40 people, 1,312 each), 10,000 machines, over 250
working days. ``bench.gas`` prices one redeem per N coffees with it; the fleet prices the gas
its machines really spent per working day under their redeem policy, beside one ERC-20
transfer per coffee.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class CostModelError(ValueError):
    """A cost-model input or a gas figure is unusable (zero, negative, or missing)."""


@dataclass(frozen=True)
class CostModel:
    gas_price_gwei: float = 5.0
    eth_eur: float = 196.04
    coffees_per_machine_year: int = 52_480
    machines: int = 10_000
    workdays: int = 250

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise CostModelError(f"CostModel.{name} must be > 0, got {value!r}")

    @property
    def eur_per_gas(self) -> float:
        """9.802e-7 EUR at the paper's parameters."""
        return self.gas_price_gwei * 1e-9 * self.eth_eur

    @property
    def coffees_per_fleet_year(self) -> int:
        return self.coffees_per_machine_year * self.machines

    @property
    def coffees_per_machine_day(self) -> float:
        return self.coffees_per_machine_year / self.workdays

    def eur(self, gas: float) -> float:
        return gas * self.eur_per_gas

    def fleet_eur_per_year(self, gas_per_machine_day: float) -> float:
        """Every machine spending ``gas_per_machine_day`` on every working day of the year."""
        return self.eur(gas_per_machine_day * self.workdays * self.machines)

    def per_coffee_eur_per_year(self, gas_per_transfer: float) -> float:
        """The baseline: one token transfer per coffee, every coffee of the fleet's year."""
        return self.eur(gas_per_transfer * self.coffees_per_fleet_year)

    def to_json(self) -> dict[str, float]:
        return {**asdict(self), "eur_per_gas": self.eur_per_gas}
