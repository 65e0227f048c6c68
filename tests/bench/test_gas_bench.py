"""The gas benchmark: what it measures, the warm-redeem target, and the cost comparison."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise

import pytest

from bench.cost import CostModel, CostModelError, compare
from bench.gas import (
    BATCH_SIZES,
    WARM_REDEEM_MAX_GAS,
    WARM_REDEEMS,
    GasReport,
    Target,
    main,
    measure,
)
from bench.gas_table import render
from rig.chain.anvil import Anvil
from rig.chain.node import Chain

OPERATIONS = {
    "open", "top_up", "authorize_signer", "redeem_first", "redeem_warm",
    "redeem_warm_delegate", "erc20_transfer", "erc20_transfer_new_recipient",
    "cooperative_close", "request_close", "settle", "fund_escrow", "list_offer",
    "accept_offer", "check_in", "report_fault", "accept_ticket", "resolve_ticket",
    "attest_fix", "terminate", *(f"redeem_batch_{n}" for n in BATCH_SIZES),
}


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    """A fresh anvil of its own, so the numbers match `make gas` exactly."""
    with Anvil() as node:
        yield Chain(node.url)


@pytest.fixture(scope="module")
def report(chain: Chain) -> GasReport:
    with chain.isolated():
        return measure(chain)


# --- what is measured ---------------------------------------------------------------------

def test_every_operation_is_measured_once_with_plausible_gas(report: GasReport):
    names = [o.name for o in report.operations]
    assert sorted(names) == sorted(OPERATIONS)
    for op in report.operations:
        # Below 21,000 no transaction can be mined; above 1M something looped.
        assert 21_000 < op.gas < 1_000_000, op
        assert op.caller and op.what, op


def test_json_records_gas_comparison_target_and_toolchain(report: GasReport):
    doc = json.loads(json.dumps(report.to_json()))
    assert doc["schema"] == "coffeepay-gas/1"
    assert {k: v["gas"] for k, v in doc["operations"].items()} == {
        o.name: o.gas for o in report.operations}
    env = doc["environment"]
    assert env["solc"].startswith("0.8.")
    assert env["node"].lower().startswith("anvil")
    assert env["optimizer"] == {"enabled": True, "runs": 10_000}
    assert doc["target"]["max_gas"] == WARM_REDEEM_MAX_GAS == 60_000
    assert set(doc["target"]["measured"]) == set(WARM_REDEEMS)
    assert doc["target"]["met"] == all(
        doc["operations"][n]["gas"] <= 60_000 for n in WARM_REDEEMS)
    rows = doc["comparison"]["rows"]
    assert [r["coffees_per_tx"] for r in rows] == [1, *BATCH_SIZES]
    assert rows[0]["method"] == "erc20-transfer"
    assert rows[0]["gas_per_tx"] == doc["operations"]["erc20_transfer"]["gas"]
    for n, row in zip(BATCH_SIZES, rows[1:], strict=True):
        assert row["gas_per_tx"] == doc["operations"][f"redeem_batch_{n}"]["gas"]
        assert row["ratio_to_erc20"] == pytest.approx(
            row["gas_per_coffee"] / rows[0]["gas_per_coffee"], abs=1e-6)


def test_same_numbers_on_every_run(chain: Chain, report: GasReport):
    with chain.isolated():
        again = measure(chain)
    assert [(o.name, o.gas) for o in again.operations] == [
        (o.name, o.gas) for o in report.operations]
    assert again.comparison == report.comparison


# --- the target and the shape of the costs ------------------------------------------------

def test_warm_redeem_meets_the_60k_target(report: GasReport):
    for name in WARM_REDEEMS:
        assert report.gas(name) <= 60_000, (
            f"{name} used {report.gas(name):,} gas; the target is 60,000")
    assert report.target.met


def test_warm_redeem_is_cheaper_than_the_first(report: GasReport):
    assert report.gas("redeem_warm") < report.gas("redeem_first")


def test_gas_per_coffee_falls_as_more_coffees_share_a_redeem(report: GasReport):
    channel = [r for r in report.comparison if r.method.startswith("channel-")]
    per_coffee = [r.gas_per_coffee for r in sorted(channel, key=lambda r: r.coffees_per_tx)]
    assert len(per_coffee) == len(BATCH_SIZES)
    assert all(a > b for a, b in pairwise(per_coffee)), per_coffee
    erc20 = report.comparison[0]
    assert erc20.method == "erc20-transfer"
    assert per_coffee[-1] < erc20.gas_per_coffee  # batching 100 coffees beats a transfer each


def test_table_shows_every_operation_and_the_verdict(report: GasReport):
    text = render(report.to_json())
    for op in report.operations:
        assert op.name in text and f"{op.gas:,}" in text
    assert ("met" if report.target.met else "MISSED") in text.splitlines()[-1]


def test_cli_writes_json_and_exit_status_follows_the_target(tmp_path):
    out = tmp_path / "gas.json"
    code = main(["--out", str(out)])
    doc = json.loads(out.read_text())
    assert code == (0 if doc["target"]["met"] else 1)
    assert set(doc["operations"]) == OPERATIONS


# --- the cost model, without a chain --------------------------------------------------------

def test_target_is_missed_when_any_warm_redeem_is_over():
    assert Target(("a", "b"), 60_000, {"a": 60_000, "b": 59_000}).met
    assert not Target(("a", "b"), 60_000, {"a": 60_001, "b": 59_000}).met


def test_cost_model_matches_the_papers_figures():
    m = CostModel()
    assert m.eur_per_gas == pytest.approx(9.802e-7)
    assert m.coffees_per_fleet_year == 524_800_000


def test_comparison_arithmetic():
    rows = compare(40_000, {10: 50_000, 1: 50_000}, lifecycle_gas=52_480)
    erc20, one, ten = rows
    assert (erc20.gas_per_coffee, erc20.ratio_to_erc20) == (40_000, 1.0)
    assert (one.coffees_per_tx, ten.coffees_per_tx) == (1, 10)
    assert one.lifecycle_gas_per_coffee == 1.0  # 52,480 gas over 52,480 coffees
    assert ten.gas_per_coffee == 5_001.0
    assert ten.ratio_to_erc20 == pytest.approx(5_001 / 40_000)
    assert ten.eur_per_coffee == pytest.approx(5_001 * 9.802e-7)
    assert ten.eur_per_fleet_year == pytest.approx(5_001 * 9.802e-7 * 524_800_000, abs=0.01)


@pytest.mark.parametrize(("args", "message"), [
    ((0, {1: 50_000}, 1), "erc20_transfer_gas"),
    ((40_000, {}, 1), "redeem_gas_by_n is empty"),
    ((40_000, {0: 50_000}, 1), "batch size N"),
    ((40_000, {5: -1}, 1), "redeem gas for N=5"),
    ((40_000, {1: 50_000}, 0), "lifecycle_gas"),
])
def test_comparison_rejects_unusable_gas_figures(args, message):
    with pytest.raises(CostModelError, match=message):
        compare(*args)


def test_cost_model_rejects_non_positive_inputs():
    with pytest.raises(CostModelError, match=r"CostModel\.eth_eur must be > 0"):
        CostModel(eth_eur=0)
