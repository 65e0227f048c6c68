"""A wrong configuration is found once, before any scenario runs: one line, exit 2, nothing
run or retried (rig/preflight.py, rig/cli.py, the plugin's pytest_sessionstart)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rig.cli import EXIT_INFRA, main, pytest_argv
from rig.preflight import ConfigError, check_run

ROOT = Path(__file__).resolve().parents[2]
SHORT = "scenarios/sensor-missing-at-boot.yaml"


def _rig(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rig.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


def test_unreachable_chain_url_is_one_line_exit_2_and_quick():
    started = time.monotonic()
    out = _rig("run", "--chain-url", "http://127.0.0.1:1", SHORT)
    assert time.monotonic() - started < 20
    assert out.returncode == EXIT_INFRA
    assert out.stdout == "", "nothing may run (no pytest session, no seed line)"
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "--chain-url http://127.0.0.1:1" in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_profile_is_one_line_naming_the_known_ones(capsys):
    assert main(["run", "--profile", "nosuch", SHORT]) == EXIT_INFRA
    err = capsys.readouterr()
    assert err.out == ""
    assert err.err.count("\n") == 1 and "no profile 'nosuch'" in err.err
    assert "known: " in err.err and "emulated" in err.err


def test_a_scenario_file_that_does_not_load_stops_the_run_before_it_starts(tmp_path, capsys):
    bad = tmp_path / "scenarios" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("name: x\nsteps: [fly]\n")
    assert main(["run", str(bad), SHORT]) == EXIT_INFRA
    err = capsys.readouterr()
    assert err.out == "" and err.err.count("\n") == 1
    assert "bad.yaml: steps[0]: unknown step 'fly'" in err.err


def test_check_run_checks_each_scenarios_own_profile(tmp_path):
    f = tmp_path / "odd.yaml"
    f.write_text("name: x\nsettings: {profile: nowhere}\nsteps: [boot]\n")
    with pytest.raises(ConfigError, match=r"odd: settings\.profile 'nowhere': no profile"):
        check_run([str(f)], None, None)
    assert check_run([str(f)], "emulated", None).scenarios == [f]   # --profile overrides


def test_plain_pytest_gets_one_usage_error_for_an_unreachable_chain(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                          "-p", "rig.pytestplugin", "--chain-url", "http://127.0.0.1:1",
                          str(ROOT / SHORT)], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == pytest.ExitCode.USAGE_ERROR, out.stdout[-2000:]
    assert "--chain-url http://127.0.0.1:1: no answer" in out.stderr
    assert "PASSED" not in out.stdout and "FAILED" not in out.stdout


def test_rig_run_asks_pytest_for_its_reruns():
    import argparse

    args = argparse.Namespace(profile=None, chain_url=None, defect=[], workers=0, report=None,
                              reruns=3)
    assert "--rig-reruns=3" in pytest_argv([SHORT], 1, args)
    args.reruns = 0
    assert not any(a.startswith("--rig-reruns") for a in pytest_argv([SHORT], 1, args))
