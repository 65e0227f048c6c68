"""The cost model at the paper's parameters."""

from __future__ import annotations

import pytest

from rig.fleet.cost import CostModel


def test_one_gas_costs_the_papers_9_802e_7_eur():
    assert CostModel().eur_per_gas == pytest.approx(9.802e-7)


def test_a_fleet_year_scales_gas_per_machine_day_by_workdays_and_machines():
    model = CostModel()
    assert model.fleet_eur_per_year(100_000) == pytest.approx(100_000 * 250 * 10_000 * 9.802e-7)


def test_the_baseline_pays_every_coffee_of_the_year_with_one_transfer():
    model = CostModel()
    coffees_a_year = model.coffees_per_machine_day * 250 * 10_000
    assert coffees_a_year == pytest.approx(524.8e6)
    assert model.per_coffee_eur_per_year(34_000) == pytest.approx(34_000 * 524.8e6 * 9.802e-7)
