"""A small fleet through a whole office day on one anvil: real firmware processes, faults
spread over the fleet, every channel checked by the oracle."""

from __future__ import annotations

import json
from pathlib import Path

from rig.fleet import FleetFaults, FleetOptions, OfficeDay, RedeemPolicy, run_fleet
from rig.fleet.report import render, summarize
from rig.fleet.shard import Shard
from rig.platform.deploy import CREDIT

HOURLY = 3600   # one step per simulated hour keeps the day short in real time


def test_a_faulty_day_reconciles_every_channel_and_reports_its_figures(tmp_path: Path):
    opts = FleetOptions(machines=3, seed=11, day=OfficeDay(employees=4),
                        faults=FleetFaults(power_share=0.34, partition_share=0.34,
                                           node_restarts=1, reorgs=1),
                        step_seconds=HOURLY, workdir=tmp_path)
    result = run_fleet(opts)
    assert result.outcome == "passed", render(summarize(result))
    s = summarize(result)
    assert {f.kind for f in result.faults} == {"power.cut", "net.blackhole",
                                               "chain.node_restart", "chain.reorg"}
    c = s["coffees"]
    assert c["wanted"] == result.coffees > 0
    assert c.get("served", 0) + c["machine_dark"] + sum(
        v for k, v in c.items() if k not in ("wanted", "served", "machine_dark",
                                             "rig_errors", "retaps")) == c["wanted"]
    for m in result.machines:
        samples = m.exposure.samples
        assert len(samples) == 1 + 10 + 14 + 1   # the start, opening hours, night, settled
        assert samples[-2].redeemed == samples[-2].signed   # the night's interval redeemed it
        assert m.txs and all(t["status"] == 1 for t in m.txs if t["kind"] == "redeem")
    assert s["chain"]["redeem_gas_per_machine_day"] > 0
    assert 21_000 < s["chain"]["transfer_gas"] < 60_000
    assert s["cost_per_year_eur"]["channels"] < s["cost_per_year_eur"]["transfer_per_coffee"]
    assert (tmp_path / "m000.history.json").is_file()


def test_a_firmware_that_loses_receipts_in_a_power_cut_fails_the_fleet(tmp_path: Path):
    """``no_fsync``: receipts live only in the page cache, so every machine's power cut loses
    the coffees paid since boot; the machines never redeem during the day, so the loss is
    not covered by an earlier redeem."""
    opts = FleetOptions(machines=2, seed=3, day=OfficeDay(employees=4),
                        faults=FleetFaults(power_share=1.0, partition_share=0, node_restarts=0,
                                           reorgs=0),
                        policy=RedeemPolicy(threshold=10**6 * CREDIT, interval=10**9),
                        step_seconds=HOURLY, defects=("no_fsync",), workdir=tmp_path)
    result = run_fleet(opts)
    assert result.outcome == "violated", render(summarize(result))
    assert any("INV-2" in (ch["violations"] or []) for ch in summarize(result)["channels"])


def test_a_power_cut_healed_inside_a_partition_leaves_the_machine_offline(tmp_path: Path):
    """The machine is cut off all day and loses power for a while in between: when the power
    comes back it is still unreachable, so the day must not wait for it to sync."""
    opts = FleetOptions(machines=1, seed=5, day=OfficeDay(employees=3),
                        faults=FleetFaults(power_share=1.0, partition_share=1.0,
                                           partition_hours=10, node_restarts=0, reorgs=0),
                        step_seconds=HOURLY, workdir=tmp_path)
    result = run_fleet(opts)
    cut = next(f for f in result.faults if f.kind == "power.cut")
    partition = next(f for f in result.faults if f.kind == "net.blackhole")
    assert partition.at <= cut.at and cut.heal_at < partition.heal_at   # the case it names
    assert result.outcome == "passed", render(summarize(result))


def test_a_shard_runs_its_machines_as_the_whole_fleet_does(tmp_path: Path):
    """Shard 2/2 of a two-machine fleet holds m001 alone, on its own chain, and m001 lives the
    same day there: the same customers, phones and receipts as in the whole fleet."""
    def day(shard: Shard, where: str):
        return run_fleet(FleetOptions(machines=2, seed=21, day=OfficeDay(employees=3),
                                      faults=FleetFaults.none(), step_seconds=HOURLY,
                                      shard=shard, workdir=tmp_path / where))

    whole, part = day(Shard(), "whole"), day(Shard(1, 2), "shard")
    assert whole.outcome == part.outcome == "passed", render(summarize(part))
    assert [m.name for m in part.machines] == ["m001"]
    assert "--shard 2/2" in part.options.replay

    def receipts(where: str) -> list[tuple]:
        history = json.loads((tmp_path / where / "m001.history.json").read_text())
        return sorted((s["phone"], s["sequence"], s["cumulative"], s["product"])
                      for s in history["signed"])

    assert receipts("shard") == receipts("whole") != []
    assert part.machines[0].verdicts == whole.machines[1].verdicts
