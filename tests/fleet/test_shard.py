"""A fleet's shards: every machine in exactly one, the plan narrowed to each."""

from __future__ import annotations

import pytest

from rig.fleet.faults import PlannedFault, on_machines
from rig.fleet.shard import Shard, ShardError


def test_shards_cover_every_machine_once_and_spread_them():
    shards = [Shard(i, 3).machines(10) for i in range(3)]
    assert sorted(i for s in shards for i in s) == list(range(10))
    assert shards[0] == [0, 3, 6, 9]
    assert Shard().machines(4) == [0, 1, 2, 3]


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "1/2/3"])
def test_a_shard_not_i_of_k_is_refused_with_the_form_to_give(text):
    with pytest.raises(ShardError, match="I/K"):
        Shard.parse(text)


def test_more_shards_than_machines_is_refused():
    with pytest.raises(ShardError, match="at most one shard per machine"):
        Shard(0, 5).machines(4)


def test_a_shard_keeps_chain_wide_faults_and_its_own_part_of_machine_faults():
    plan = [PlannedFault(100, 200, "net.blackhole", (0, 1, 2, 5)),
            PlannedFault(150, None, "chain.reorg", (), {"depth": 1}),
            PlannedFault(300, 400, "power.cut", (4,))]
    mine = on_machines(plan, {1, 4})
    assert [(f.kind, f.machines) for f in mine] == [
        ("net.blackhole", (1,)), ("chain.reorg", ()), ("power.cut", (4,))]
    assert [f.kind for f in on_machines(plan, {3})] == ["chain.reorg"]
