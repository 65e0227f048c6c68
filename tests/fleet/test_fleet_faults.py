"""The fleet's fault plan: shares of machines, chain-wide faults, replay from the seed."""

from __future__ import annotations

import random

import pytest

from rig.faults import registry
from rig.fleet.faults import FleetFaults, plan
from rig.fleet.office_day import OfficeDay


def test_the_plan_strikes_the_shares_it_was_given_during_opening_hours():
    day = OfficeDay()
    faults = plan(FleetFaults(power_share=0.2, partition_share=0.3, node_restarts=2, reorgs=3),
                  day, 100, random.Random(1))
    kinds = [f.kind for f in faults]
    assert kinds.count("power.cut") == 20
    partition = [f for f in faults if f.kind == "net.blackhole"]
    assert len(partition) == 1 and len(partition[0].machines) == 30
    assert partition[0].heal_at - partition[0].at == 3 * 3600
    assert kinds.count("chain.node_restart") == 2 and kinds.count("chain.reorg") == 3
    assert all(f.chain_wide for f in faults if f.kind.startswith("chain."))
    assert all(day.opens <= f.at <= day.closes for f in faults)
    assert [f.at for f in faults] == sorted(f.at for f in faults)


def test_every_planned_fault_is_a_registered_kind_with_valid_parameters():
    faults = plan(FleetFaults(power_share=1, partition_share=1), OfficeDay(), 3,
                  random.Random(2))
    assert {f.kind for f in faults} == {"power.cut", "net.blackhole", "chain.node_restart",
                                        "chain.reorg"}
    for f in faults:
        assert registry.make_fault(f.kind, f.params).kind == f.kind


def test_the_same_seed_plans_the_same_day():
    def planned(seed: int) -> list[str]:
        return [f.describe() for f in plan(FleetFaults(), OfficeDay(), 20, random.Random(seed))]

    assert planned(5) == planned(5)
    assert planned(5) != planned(6)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"power_share": 1.5}, "power_share must be between 0 and 1"),
    ({"power_minutes": (10.0, 5.0)}, "power_minutes"),
    ({"partition_hours": 0}, "partition_hours"),
    ({"reorgs": -1}, "reorgs must be >= 0"),
])
def test_bad_fault_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FleetFaults(**kwargs)


@pytest.mark.parametrize("faults", [FleetFaults(), FleetFaults.none(),
                                    FleetFaults(power_share=0.25, partition_share=0.5,
                                                partition_hours=2, node_restarts=0, reorgs=3)])
def test_the_replay_command_gives_back_the_same_day(faults):
    from rig.cli import _parser, fleet_options
    from rig.fleet import FleetOptions, RedeemPolicy

    opts = FleetOptions(machines=7, seed=42, day=OfficeDay(employees=12), faults=faults,
                        policy=RedeemPolicy(2_500_000, 1800))
    args = _parser().parse_args(opts.replay.split()[1:])
    again = fleet_options(args, args.seed)
    assert (again.machines, again.seed, again.day, again.policy, again.faults) == \
        (opts.machines, opts.seed, opts.day, opts.policy, opts.faults)
