"""Proof that the rig catches bugs: each switchable firmware defect makes a scenario fail
with the invariant that is expected to catch it, and the correct firmware passes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.mutants.catalog import CATALOG
from rig.scenario import load_scenario
from rig.scenario.runner import RunOptions, run_scenario

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261121

# (defect, the scenario that exposes it, invariants of which at least one must fail): the
# firmware rows of the mutant catalog (bench/mutants/catalog.py), one per scenario check.
CATCHES = [(d.name, c.scenario, c.invariants) for d in CATALOG if d.layer == "firmware"
           for c in d.checks]


def _failed_invariants(result) -> set[str]:
    assert result.report is not None, result.message
    return {v.id for v in result.report.verdicts if v.outcome == "fail"}


@pytest.mark.slow
@pytest.mark.parametrize(("defect", "scenario", "expected"), CATCHES,
                         ids=[f"{d}-{s}" for d, s, _ in CATCHES])
def test_each_seeded_defect_is_caught_by_its_invariant(defect, scenario, expected, tmp_path):
    sc = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml")
    result = run_scenario(sc, RunOptions(run_seed=SEED, defects=(defect,),
                                         workdir=tmp_path / "run"))
    assert result.outcome == "violated", (result.outcome, result.message)
    caught = _failed_invariants(result)
    assert caught & expected, f"{defect}: failed {sorted(caught)}, expected one of {expected}"


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted({s for _, s, _ in CATCHES}))
def test_the_correct_firmware_passes_the_same_scenarios(scenario, tmp_path):
    sc = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml")
    result = run_scenario(sc, RunOptions(run_seed=SEED, workdir=tmp_path / "run"))
    assert result.outcome == "passed", result.message


@pytest.mark.slow
def test_rig_run_exits_1_on_a_defect_and_names_the_invariant():
    out = subprocess.run(
        [sys.executable, "-m", "rig.cli", "run", "--seed", str(SEED), "--defect",
         "ignore_offline_bound", "scenarios/deposit-exhausted-offline.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 1, out.stdout[-3000:] + out.stderr[-2000:]
    assert "INV-6" in out.stdout
    assert f"rig replay {SEED}" in out.stdout
