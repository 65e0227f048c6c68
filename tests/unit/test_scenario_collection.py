"""Which YAML files pytest collects as scenarios: every one named on the command line,
wherever it is, and in directories only those in a ``scenarios`` directory."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from rig.cli import pytest_argv

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "power-cut-at-receipt-persisted.yaml"


def _collect(argv: list[str], cwd: Path) -> str:
    """pytest's collection for ``argv``, run from ``cwd``: the items it lists."""
    out = subprocess.run([sys.executable, "-m", "pytest", *argv, "--collect-only", "-q",
                          "-p", "no:cacheprovider"], cwd=cwd, capture_output=True, text=True,
                         timeout=60, check=False)
    return out.stdout + out.stderr


def _failure(tmp_path: Path) -> Path:
    """A scenario file where a failing property example writes one: not in scenarios/."""
    target = tmp_path / "property-failures" / "stateful-12.yaml"
    target.parent.mkdir()
    shutil.copy(SCENARIO, target)
    return target


def test_rig_run_collects_a_named_file_outside_scenarios(tmp_path):
    target = _failure(tmp_path)
    run = argparse.Namespace(profile=None, chain_url=None, defect=[], workers=0, report=None)
    listing = _collect(pytest_argv([str(target)], 12, run), cwd=tmp_path)   # -v: a tree
    assert "<ScenarioItem stateful-12>" in listing, listing
    assert "1 test collected" in listing, listing


def test_pytest_collects_a_named_file_but_not_its_directory(tmp_path):
    target = _failure(tmp_path)
    named = _collect(["-p", "rig.pytestplugin", str(target)], cwd=ROOT)
    assert "stateful-12.yaml::stateful-12" in named, named
    directory = _collect(["-p", "rig.pytestplugin", str(target.parent)], cwd=ROOT)
    assert "no tests collected" in directory, directory
