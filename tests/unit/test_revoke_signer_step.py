"""The ``revoke_signer`` step: declared for scenario files and drawn by the random schedules,
and the two revocation scenarios load with what they exist to prove."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.scenario import ScenarioError, load_scenario
from rig.scenario.steps.registry import step_kinds, validate_step
from tests.property import rig_actions as act
from tests.property.rig_machine import SETTINGS
from tests.property.rig_schedule import scenario_doc, write_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_the_step_takes_a_phone_and_nothing_else():
    assert "revoke_signer" in step_kinds()
    assert validate_step("revoke_signer", {}) == {"phone": 1}
    with pytest.raises(ValueError, match="phone"):
        validate_step("revoke_signer", {"phone": "one"})
    with pytest.raises(ValueError, match="unknown argument"):
        validate_step("revoke_signer", {"phone": 1, "when": "now"})


def test_a_random_schedule_with_a_revocation_loads(tmp_path: Path):
    steps = [("boot", {}), *act.tap(1, 1), *act.revoke_signer(1), *act.tap(1, 1),
             *act.tap(2, 1)]
    loaded = load_scenario(write_scenario(scenario_doc("stateful-9", SETTINGS, steps),
                                          tmp_path))
    assert [(s.kind, s.args) for s in loaded.steps][2] == ("revoke_signer", {"phone": 1})


@pytest.mark.parametrize("name", ["signer-revoked-online", "signer-revoked-while-offline"])
def test_the_revocation_scenarios_prove_no_lost_receipt(name: str):
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    assert sc.expect["INV-2"] == "ok" and sc.expect["INV-3"] == "ok"
    assert any(s.kind == "revoke_signer" for s in sc.steps)


def test_a_revocation_of_a_phone_that_does_not_exist_is_refused_at_run_time_not_load(
        tmp_path: Path):
    f = tmp_path / "x.yaml"
    f.write_text("name: x\nsteps: [boot, {revoke_signer: {phone: -1}}]\n")
    load_scenario(f)                                   # the phone count is the run's
    f.write_text("name: x\nsteps: [boot, {revoke_signer: {phone: 1, x: 2}}]\n")
    with pytest.raises(ScenarioError, match="revoke_signer"):
        load_scenario(f)
