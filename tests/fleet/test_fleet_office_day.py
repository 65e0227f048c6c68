"""The pytest side of ``rig fleet``: the default office day, with the default faults, for
``--fleet-machines N`` machines from the run's seed.

``pytest tests/fleet/test_fleet_office_day.py --fleet-machines 100 --rig-seed 1`` runs the
same day as ``rig fleet --machines 100 --seed 1``. ``--fleet-shards K`` splits it into K
tests, shard I being ``rig fleet ... --shard I/K``, so pytest-xdist spreads the fleet over
workers (``-n K``) or hosts (docs/hosts.md). Each test's summary is attached to the report
and written beside its other files; a failure prints it with the replay command.
"""

from __future__ import annotations

import json
from pathlib import Path

import allure
import pytest

from rig.fleet import FleetOptions, run_fleet
from rig.fleet.limits import ensure_open_files
from rig.fleet.names import machine_name
from rig.fleet.report import render, summarize
from rig.fleet.shard import Shard


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "shard" not in metafunc.fixturenames:
        return
    machines = metafunc.config.getoption("--fleet-machines")
    count = metafunc.config.getoption("--fleet-shards")
    if machines < 1 or not 1 <= count <= machines:
        raise pytest.UsageError(f"--fleet-machines {machines} --fleet-shards {count}: give at "
                                f"least one machine and between 1 and that many shards")
    shards = [Shard(i, count) for i in range(count)]
    metafunc.parametrize("shard", shards, ids=[f"shard{s.index + 1}of{count}" for s in shards])


def test_the_fleet_office_day_reconciles_every_channel(shard: Shard, rig_seed: int,
                                                       request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    opts = FleetOptions(machines=request.config.getoption("--fleet-machines"), seed=rig_seed,
                        shard=shard, workdir=tmp_path / "fleet")
    ensure_open_files(len(opts.indices))
    summary = summarize(run_fleet(opts))
    text = render(summary)
    (tmp_path / "fleet.json").write_text(json.dumps(summary, indent=1) + "\n")
    allure.attach(text, name=f"fleet day, shard {shard}",
                  attachment_type=allure.attachment_type.TEXT)
    assert summary["outcome"] == "passed", f"{text}\nreplay: {opts.replay}"
    assert summary["coffees"]["wanted"] > 0
    assert [ch["machine"] for ch in summary["channels"]] == [
        machine_name(i) for i in opts.indices]
