"""The open-file limit is raised before a fleet's day, or the run stops with what to change."""

from __future__ import annotations

import subprocess
import sys

from rig.fleet.limits import files_needed


def _in_child(code: str) -> subprocess.CompletedProcess[str]:
    # Limits are per process and a lowered hard limit cannot be raised again: a child each.
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def test_a_low_soft_limit_is_raised_to_what_the_machines_need() -> None:
    need = files_needed(100)
    done = _in_child(
        "import resource\n"
        "from rig.fleet.limits import ensure_open_files\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, (256, max(hard, {need})))\n"
        "ensure_open_files(100)\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == need


def test_a_hard_limit_too_low_is_an_error_that_says_what_to_raise() -> None:
    done = _in_child(
        "import resource\n"
        "from rig.fleet.limits import FleetLimitError, ensure_open_files\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))\n"
        "try:\n"
        "    ensure_open_files(100)\n"
        "except FleetLimitError as e:\n"
        "    print(e)\n"
        "else:\n"
        "    raise SystemExit('no error')\n")
    assert done.returncode == 0, done.stderr
    assert "hard limit is 512" in done.stdout
    assert f"ulimit -Hn {files_needed(100)}" in done.stdout
    assert "at most 8" in done.stdout
