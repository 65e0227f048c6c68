"""The pytest side of ``rig fleet``: the default office day, with the default faults, for
``--fleet-machines N`` machines from the run's seed.

``pytest tests/fleet/test_fleet_office_day.py --fleet-machines 100 --rig-seed 1`` runs the
same day as ``rig fleet --machines 100 --seed 1``; the summary is attached to the report and
written beside the test's other files, and a failure prints it with the replay command.
"""

from __future__ import annotations

import json
from pathlib import Path

import allure
import pytest

from rig.fleet import FleetOptions, run_fleet
from rig.fleet.limits import ensure_open_files
from rig.fleet.report import render, summarize


@pytest.fixture
def fleet_machines(request: pytest.FixtureRequest) -> int:
    machines = request.config.getoption("--fleet-machines")
    if machines < 1:
        raise pytest.UsageError(f"--fleet-machines must be >= 1, got {machines}")
    return machines


def test_the_fleet_office_day_reconciles_every_channel(fleet_machines: int, rig_seed: int,
                                                       tmp_path: Path) -> None:
    ensure_open_files(fleet_machines)
    opts = FleetOptions(machines=fleet_machines, seed=rig_seed, workdir=tmp_path / "fleet")
    summary = summarize(run_fleet(opts))
    text = render(summary)
    (tmp_path / "fleet.json").write_text(json.dumps(summary, indent=1) + "\n")
    allure.attach(text, name="fleet day", attachment_type=allure.attachment_type.TEXT)
    assert summary["outcome"] == "passed", f"{text}\nreplay: {opts.replay}"
    assert summary["coffees"]["wanted"] > 0
    assert len(summary["channels"]) == fleet_machines
