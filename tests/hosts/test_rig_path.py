"""``--rig-path``: how a run over hosts names what to collect (xdist maps positional paths
onto its copies); every process turns it into its own positional path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _collect(*args: str, cwd: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
                          "rig.pytestplugin", f"--rootdir={ROOT}",
                          f"--config-file={ROOT / 'pyproject.toml'}", "--co", "-q", *args],
                         cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out.stdout


def test_a_rig_path_is_collected_from_anywhere(tmp_path):
    """From a scratch directory (where an SSH worker starts), relative to the checkout."""
    listed = _collect("--rig-path=scenarios/storage-full.yaml",
                      "--rig-path=tests/hosts/test_hosts_file.py", cwd=tmp_path)
    assert "scenarios/storage-full.yaml::storage-full" in listed
    assert "test_a_hosts_file_is_read" in listed
    assert "1 test collected" not in listed and "brew-board" not in listed
