"""Random fault schedules over the whole rig (Hypothesis stateful), checked by the oracle.

The state machine is ``tests/property/rig_machine.py``; see docs/property-testing.md.
``COFFEEPAY_HYPOTHESIS_PROFILE`` picks the budget: ``ci`` (default; a few short examples,
the same ones every run) or ``nightly`` (>= 1,000 new random examples, split into
``COFFEEPAY_HYPOTHESIS_SHARDS`` parametrized shards for pytest-xdist).
``COFFEEPAY_HYPOTHESIS_EXAMPLES`` / ``_STEPS`` override the example count and steps per
example. Both profiles first replay the failures saved in ``tests/property/examples/``.
``COFFEEPAY_NIGHTLY_RECORDS`` names a directory where each shard writes what its examples
did (outcomes, fault profiles, dangerous states reached, the failure it found) for
``bench.nightly_summary``.

``ci`` is derandomized by a fixed seed rather than Hypothesis' ``derandomize=True``, which
would switch the example database off (and with it the saved regressions).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import run_state_machine_as_test

from rig.history import TimelineEntry
from rig.platform.channels import ChannelState
from rig.scenario import ScenarioError, load_scenario
from rig.scenario.model import Settings
from tests.property import rig_actions as act
from tests.property import rig_checks as checks
from tests.property import rig_coverage as coverage
from tests.property import rig_example
from tests.property import rig_swarm as swarm
from tests.property.rig_checks import ChainBaseline
from tests.property.rig_machine import (
    SETTINGS,
    RigStateMachine,
    StepInvariantError,
)
from tests.property.rig_schedule import scenario_doc, write_scenario
from tests.property.rig_world import SharedChain

EXAMPLES_DB = Path(__file__).parent / "examples"
_COMMON = {"deadline": None, "print_blob": True,
           "database": DirectoryBasedExampleDatabase(str(EXAMPLES_DB)),
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much]}
PROFILES = {
    # About 2 minutes on the 2-core CI machine.
    "ci": settings(max_examples=15, stateful_step_count=8, derandomize=False, **_COMMON),
    # The nightly budget (docs/property-testing.md): make nightly runs 4 shards with -n 4.
    "nightly": settings(max_examples=1000, stateful_step_count=8, derandomize=False,
                        **_COMMON),
}
SEEDS = {"ci": 20_260_601, "nightly": None}   # None: a new random exploration every night
PROFILE = os.environ.get("COFFEEPAY_HYPOTHESIS_PROFILE", "ci")
SHARDS = int(os.environ.get("COFFEEPAY_HYPOTHESIS_SHARDS", "1"))
TIMEOUT = {"ci": 1200, "nightly": 0}   # pytest-timeout seconds (0: none); shrinking included


def profile_settings(shards: int = SHARDS) -> settings:
    if PROFILE not in PROFILES:
        raise pytest.UsageError(f"COFFEEPAY_HYPOTHESIS_PROFILE={PROFILE!r}: known profiles "
                                f"are {', '.join(PROFILES)}")
    base = PROFILES[PROFILE]
    examples = int(os.environ.get("COFFEEPAY_HYPOTHESIS_EXAMPLES", base.max_examples))
    steps = int(os.environ.get("COFFEEPAY_HYPOTHESIS_STEPS", base.stateful_step_count))
    return settings(base, max_examples=max(1, math.ceil(examples / shards)),
                    stateful_step_count=steps)


def machine_factory() -> Callable[[], RigStateMachine]:
    """What Hypothesis builds each example from, seeded as the profile says."""

    def rig_state_machine() -> RigStateMachine:
        return RigStateMachine()

    fixed = SEEDS.get(PROFILE)
    return rig_state_machine if fixed is None else seed(fixed)(rig_state_machine)


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest) -> Iterator[SharedChain]:
    """One anvil for the module; every example reverts it to the deployed platform."""
    if request.config.getoption("--chain-url"):
        pytest.skip("needs an anvil the rig owns (snapshots, reorgs, node restarts)")
    shared = SharedChain().start()
    RigStateMachine.world = shared
    try:
        yield shared
    finally:
        RigStateMachine.world = None
        shared.stop()


@pytest.mark.timeout(TIMEOUT.get(PROFILE, 0))
@pytest.mark.parametrize("shard", range(SHARDS))
def test_random_fault_schedules_keep_every_invariant(world: SharedChain, shard: int) -> None:
    """Any schedule of taps, power cuts, network, chain, sensor, brew-board and phone faults,
    top-ups and closes ends with every oracle invariant holding."""
    RigStateMachine.records.clear()
    began, failure = time.monotonic(), ""
    try:
        run_state_machine_as_test(machine_factory(), settings=profile_settings())  # type: ignore[arg-type]
    except BaseException as e:
        failure = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        raise
    finally:
        where = os.environ.get("COFFEEPAY_NIGHTLY_RECORDS")
        if where:
            write_shard_record(Path(where), shard, time.monotonic() - began, failure)


def write_shard_record(directory: Path, shard: int, wall: float, failure: str) -> Path:
    """What this shard's examples did; the last failing record is the shrunk example."""
    records = RigStateMachine.records
    failed = [r for r in records if r.outcome != "passed"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    doc = {"shard": shard, "worker": worker, "wall_seconds": round(wall, 1),
           "examples": len(records), "failure": failure,
           "outcomes": {o: sum(r.outcome == o for r in records)
                        for o in sorted({r.outcome for r in records})},
           "reached": {name: sum(name in r.reached for r in records)
                       for name in coverage.NAMES},
           "profiles_with_family_on": {f: sum(r.profile.get("rates_percent", {}).get(f, 0) > 0
                                              for r in records) for f in swarm.FAMILIES},
           "shrunk": None if not failed or not failure else {
               "name": failed[-1].name, "run_seed": failed[-1].run_seed,
               "outcome": failed[-1].outcome, "summary": failed[-1].summary,
               "profile": failed[-1].profile, "scenario_file": failed[-1].scenario_file}}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"shard-{worker}-{shard}.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


# ---------------------------------------------------------------------- the written schedule
def hand_made_schedule() -> list[act.ScheduleStep]:
    """One of every action the rules take, in a plausible order."""
    steps = act.boot() + act.tap(1, 2)
    steps += act.cut_at_checkpoint("cut1", "receipt-persisted", 2, 1) + act.heal("cut1")
    steps += act.cut_at_checkpoint("cut2", "redeem-signed", 1, 1) + act.wait(1.0) \
        + act.mine(2) + act.heal("cut2")
    steps += act.cut_at_write("write3", 2, True, 1, 3) + act.wait(0.4) + act.heal("write3")
    steps += act.cut_after("cut4", 0.2, 2, 4) + act.power_on()
    for i, (kind, params) in enumerate(act.NET_FAULTS + act.SENSOR_FAULTS
                                       + act.BOARD_FAULTS):
        steps += act.fault(kind, f"f{i}", **params) + act.heal(f"f{i}")
    for i, (kind, params) in enumerate(act.PHONE_FAULTS):
        steps += act.fault(kind, f"p{i}", **params, phone=1 + i % 2) + act.heal(f"p{i}")
    steps += act.fault("chain.reorg", "reorg9", depth=2) + act.drop_redeem("drop10") \
        + act.heal("drop10") + act.fault("chain.hold_mining", "hold11") + act.heal("hold11")
    for i, (kind, params) in enumerate(act.CHAIN_EVENTS):
        steps += act.mine(**params) if kind == "mine" else act.fault(kind, f"c{i}", **params)
    steps += act.top_up(500_000) + act.redeem() + act.close("rental") + act.settle()
    return steps


def test_a_rule_sequence_becomes_a_scenario_file_the_runner_loads(tmp_path: Path) -> None:
    steps = hand_made_schedule()
    path = write_scenario(scenario_doc("stateful-7", SETTINGS, steps), tmp_path)
    assert path == tmp_path / "stateful-7.yaml"
    loaded = load_scenario(path)
    assert loaded.id == "stateful-7"      # the id the runner derives the seed from
    assert loaded.settings == SETTINGS
    assert [(s.kind, s.args) for s in loaded.steps] == steps


def test_a_schedule_with_a_fault_parameter_the_catalog_refuses_does_not_load(
        tmp_path: Path) -> None:
    steps = act.boot() + act.fault("net.latency", "slow", ms=-5.0)
    path = write_scenario(scenario_doc("stateful-bad", SETTINGS, steps), tmp_path)
    with pytest.raises(ScenarioError, match=r"steps\[1\] fault: net.latency: ms must be"):
        load_scenario(path)


def test_only_the_settings_that_differ_from_the_defaults_are_written(tmp_path: Path) -> None:
    doc = scenario_doc("stateful-1", Settings(phones=2), act.boot())
    assert doc["settings"] == {"phones": 2}
    assert yaml.safe_load(write_scenario(doc, tmp_path).read_text())["steps"] == ["boot"]


@pytest.mark.parametrize("name", ["../escape", "", ".hidden", "a/b"])
def test_a_scenario_name_that_is_not_a_plain_file_name_is_refused(tmp_path: Path,
                                                                   name: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        write_scenario({"name": name, "steps": ["boot"]}, tmp_path)


# ---------------------------------------------------------------------- the step checks
def _state(redeemed: int, sequence: int, status: int = 1, deposit: int = 1_000_000
           ) -> ChannelState:
    return ChannelState("0xc", status, 0, deposit, redeemed, sequence, "0xp", "0xm", "0xo")


def _entry(kind: str, action: str) -> TimelineEntry:
    return TimelineEntry(0.0, kind, action, {}, None, "")


def test_a_redeem_or_status_going_back_on_chain_is_named() -> None:
    seen = ChainBaseline(redeemed=500_000, sequence=3, status=2)
    assert checks.went_back(seen, _state(500_000, 3, 2)) == []
    assert checks.went_back(seen, _state(350_000, 2, 1)) == [
        "redeemed 500000 -> 350000", "sequence 3 -> 2", "status 2 -> 1"]


def test_the_baseline_keeps_the_most_ever_deposited_and_a_reorg_forgets_only_redeems() -> None:
    seen = ChainBaseline(deposit=2_000_000).after(_state(400_000, 2, deposit=1_000_000))
    assert seen == ChainBaseline(400_000, 2, 1, 2_000_000)
    assert seen.forget_redeems() == ChainBaseline(deposit=2_000_000)


def test_a_latest_receipt_above_everything_deposited_is_reported() -> None:
    status = {"latest": {"sequence": 5, "cumulative": 1_150_000}}
    assert checks.above_deposit(status, 1_150_000) == ""
    assert "cumulative 1150000, above the 1000000" in checks.above_deposit(status, 1_000_000)
    assert checks.above_deposit({"latest": None}, 0) == ""
    assert checks.above_deposit(None, 0) == ""


def test_a_brew_id_dispensed_twice_is_found() -> None:
    assert checks.dispensed_twice([1, 2, 3]) == []
    assert checks.dispensed_twice([7, 2, 7, 2, 5]) == [2, 7]


@pytest.mark.parametrize(("entries", "explained"), [
    ([], False),
    ([("power.cut_at_checkpoint", "fire"), ("power.cut_at_checkpoint", "cut")], True),
    ([("power.cut_at_checkpoint", "cut"), ("power.cut_at_checkpoint", "heal")], False),
    ([("power.cut_at_checkpoint", "cut"), ("boot", "step")], False),
    ([("power.cut_at_checkpoint", "cut"), ("tap", "step"), ("net.reset", "fire")], True),
])
def test_the_pi_being_off_is_explained_only_by_a_cut_since_it_last_came_on(
        entries: list[tuple[str, str]], explained: bool) -> None:
    assert checks.cut_since_power_on([_entry(k, a) for k, a in entries]) is explained


# ---------------------------------------------------------------------- the shared chain
def test_the_shared_chain_comes_back_after_a_node_restart(world: SharedChain) -> None:
    """A restart loses anvil's snapshots; reset must still give the deployed platform."""
    chain, platform, anvil = world.ready()
    deployed = chain.rpc("eth_getCode", platform.payments.address, "latest")
    chain.mine(3)
    anvil.restart(keep_state=True)
    world.dirty = True
    world.reset()
    assert chain.block_number == world.base_block
    assert chain.rpc("eth_getCode", platform.payments.address, "latest") == deployed
    chain.mine(2)
    world.reset()                      # and the snapshot taken after the reload works
    assert chain.block_number == world.base_block


# ---------------------------------------------------------------------- the checks can fail
class SellsBeyondTheDeposit(RigStateMachine):
    defects = ("ignore_offline_bound",)


@pytest.mark.timeout(120)
def test_the_offline_bound_check_catches_a_machine_selling_beyond_the_deposit(
        world: SharedChain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded defect: the firmware ignores the deposit; the step invariant must fail, and the
    failing schedule must be written as a scenario file the runner loads."""
    monkeypatch.setattr(SellsBeyondTheDeposit, "failures_dir", tmp_path)
    machine = SellsBeyondTheDeposit()
    machine.records.clear()
    machine.boot(run_seed=11)
    try:
        # 5 x 300,000 > the 1,000,000 deposit: the fifth tap is beyond the bound.
        machine.coffee_rush([(1, 4), (2, 4), (1, 4)])
        machine.coffee_rush([(2, 4)])
        machine.buy_coffee(1, 4)
        with pytest.raises(StepInvariantError, match="above the 1000000 ever deposited"):
            machine.offline_bound()
    finally:
        machine.teardown()
        if SellsBeyondTheDeposit.kept is not None:   # the failing example's kept files
            shutil.rmtree(SellsBeyondTheDeposit.kept, ignore_errors=True)
    (record,) = machine.records
    assert record.outcome == "error"
    assert record.scenario_file == str(tmp_path / "stateful-11.yaml")
    written = load_scenario(record.scenario_file)
    assert written.description.startswith("fault profile: power 100%, net 100%")
    assert [s.kind for s in written.steps] == ["boot"] + ["tap"] * 5
    assert written.steps[-1].args == {"phone": 1, "product": 4, "expect": "any"}


class StopsAtItsBudget(RigStateMachine):
    strict = False


@pytest.mark.timeout(120)
def test_a_machine_that_has_not_reconciled_when_the_heal_phase_ends_is_no_progress(
        world: SharedChain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A heal phase with no time at all: the machine has acknowledged coffees it has not
    redeemed, and the example must say so as "no progress", not pass."""
    monkeypatch.setattr(rig_example, "HEAL_BUDGET", 0.0)
    monkeypatch.setattr(StopsAtItsBudget, "failures_dir", tmp_path)
    machine = StopsAtItsBudget()
    machine.records.clear()
    machine.boot(run_seed=12)
    try:
        machine.coffee_rush([(1, 1), (2, 1)])
    finally:
        machine.teardown()
        if StopsAtItsBudget.kept is not None:
            shutil.rmtree(StopsAtItsBudget.kept, ignore_errors=True)
    (record,) = machine.records
    assert record.outcome == "no-progress", record.summary
    assert record.summary.startswith("no progress within the 0 s heal phase: waiting for")
    assert "acknowledged but not redeemed" in record.summary
    assert record.scenario_file == str(tmp_path / "stateful-12.yaml")
