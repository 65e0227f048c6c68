"""A fleet run starts in an empty directory: an earlier run's SD cards would carry receipts
signed on another chain into this one."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.fleet.workdir import FleetWorkdirError, fresh_workdir


def test_an_earlier_fleet_runs_output_is_cleared(tmp_path: Path):
    out = tmp_path / "fleet"
    (out / "m000" / "sdcard").mkdir(parents=True)
    (out / "m000" / "sdcard" / "store.db").write_text("an earlier run's receipts")
    for name in ("m000.history.json", "anvil.log", "anvil.state.json", "fleet.json"):
        (out / name).write_text("{}")
    (out / "policy-1").mkdir()
    assert fresh_workdir(out) == out and list(out.iterdir()) == []


def test_a_new_directory_is_made(tmp_path: Path):
    assert fresh_workdir(tmp_path / "a" / "b").is_dir()


def test_a_directory_with_other_files_is_refused_and_left_alone(tmp_path: Path):
    (tmp_path / "m000").mkdir()
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FleetWorkdirError, match=r"notes\.txt.*empty or new directory"):
        fresh_workdir(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "m000").is_dir()
