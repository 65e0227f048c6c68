"""The platform's cost per year, from what a fleet run measured.

The paper's parameters (../shared/notes/anchors.md, "Cost model inputs"): 10,000 rented
machines, gas at 5 gwei, ETH at 196.04 EUR; 1,312 coffees per person a year at 40 people
per office. The fleet run gives the gas a machine really spends per working day under its
redeem policy; the baseline pays every coffee with one ERC-20 transfer, whose gas the run
measures on the same token.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.fleet.office_day import EMPLOYEES_PER_OFFICE, WORKDAYS_PER_YEAR, coffees_per_person_day

FLEET_MACHINES = 10_000
GAS_PRICE_GWEI = 5.0
EUR_PER_ETH = 196.04


@dataclass(frozen=True)
class CostModel:
    machines: int = FLEET_MACHINES
    gas_price_gwei: float = GAS_PRICE_GWEI
    eur_per_eth: float = EUR_PER_ETH
    workdays: int = WORKDAYS_PER_YEAR
    coffees_per_machine_day: float = EMPLOYEES_PER_OFFICE * coffees_per_person_day()

    @property
    def eur_per_gas(self) -> float:
        """9.802e-7 EUR at the paper's parameters."""
        return self.gas_price_gwei * 1e-9 * self.eur_per_eth

    def fleet_eur_per_year(self, gas_per_machine_day: float) -> float:
        return gas_per_machine_day * self.workdays * self.machines * self.eur_per_gas

    def per_coffee_eur_per_year(self, gas_per_transfer: float) -> float:
        """The baseline: one token transfer per coffee, every coffee of the fleet's year."""
        return (gas_per_transfer * self.coffees_per_machine_day * self.workdays *
                self.machines * self.eur_per_gas)

    def to_json(self) -> dict[str, float]:
        return {"machines": self.machines, "gas_price_gwei": self.gas_price_gwei,
                "eur_per_eth": self.eur_per_eth, "workdays": self.workdays,
                "coffees_per_machine_day": round(self.coffees_per_machine_day, 2),
                "eur_per_gas": self.eur_per_gas}
