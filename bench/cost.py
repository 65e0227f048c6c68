"""Per-coffee ERC-20 payment vs one channel redeem per N coffees, priced with the platform's
cost model (rig/fleet/cost.py: the paper's 5 gwei, ETH at 196.04 EUR, 52,480 coffees per
machine per year, 10,000 machines). Kept apart from the measurement so the arithmetic can be
checked without a chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rig.fleet.cost import CostModel, CostModelError

__all__ = ["ComparisonRow", "CostModel", "CostModelError", "compare"]


@dataclass(frozen=True)
class ComparisonRow:
    """One way to pay for coffees on-chain, normalised to one coffee.

    ``lifecycle_gas_per_coffee`` spreads the channel's open and cooperative close over a
    machine-year of coffees (one channel per machine per year); an ERC-20 payment has none.
    """

    method: str
    coffees_per_tx: int
    gas_per_tx: int
    tx_gas_per_coffee: float
    lifecycle_gas_per_coffee: float
    gas_per_coffee: float
    eur_per_coffee: float
    eur_per_fleet_year: float
    ratio_to_erc20: float


def _positive(name: str, gas: int) -> int:
    if not isinstance(gas, int) or gas <= 0:
        raise CostModelError(f"{name} must be a positive gas amount, got {gas!r}")
    return gas


def compare(erc20_transfer_gas: int, redeem_gas_by_n: Mapping[int, int],
            lifecycle_gas: int, model: CostModel | None = None) -> list[ComparisonRow]:
    """Rows for ERC-20-per-coffee and for each N in ``redeem_gas_by_n`` (N → measured gas).

    ``ratio_to_erc20`` is a row's gas per coffee over the ERC-20 row's (below 1 = cheaper).
    """
    model = model or CostModel()
    _positive("erc20_transfer_gas", erc20_transfer_gas)
    _positive("lifecycle_gas", lifecycle_gas)
    if not redeem_gas_by_n:
        raise CostModelError("redeem_gas_by_n is empty: measure at least one batch size N")

    def row(method: str, n: int, gas: int, lifecycle: float) -> ComparisonRow:
        per_coffee = gas / n + lifecycle
        return ComparisonRow(
            method=method, coffees_per_tx=n, gas_per_tx=gas,
            tx_gas_per_coffee=round(gas / n, 4),
            lifecycle_gas_per_coffee=round(lifecycle, 4),
            gas_per_coffee=round(per_coffee, 4),
            eur_per_coffee=round(model.eur(per_coffee), 10),
            eur_per_fleet_year=round(model.eur(per_coffee) * model.coffees_per_fleet_year, 2),
            ratio_to_erc20=round(per_coffee / erc20_transfer_gas, 6))

    rows = [row("erc20-transfer", 1, erc20_transfer_gas, 0.0)]
    lifecycle = lifecycle_gas / model.coffees_per_machine_year
    for n in sorted(redeem_gas_by_n):
        if not isinstance(n, int) or n <= 0:
            raise CostModelError(f"batch size N must be a positive integer, got {n!r}")
        gas = _positive(f"redeem gas for N={n}", redeem_gas_by_n[n])
        rows.append(row(f"channel-redeem-every-{n}", n, gas, lifecycle))
    return rows
