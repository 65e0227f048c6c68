"""Paths to collect, named by option when a run is spread over hosts (``rig run --hosts``).

pytest-xdist maps a positional path of the command line onto the directories it copies to an
SSH worker and refuses one outside them; every host holds this checkout at the same path
instead (rig/hosts/config.py). So such a run names its paths with ``--rig-path``, which xdist
passes on untouched, and each process (the controller and every worker) turns them into its
own positional paths here, before pytest reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    known = early_config.known_args_namespace
    paths = [str(ROOT / p) for p in getattr(known, "rig_path", None) or []]  # absolute: kept
    args.extend(paths)                     # what pytest collects
    known.file_or_dir = [*(known.file_or_dir or []), *paths]   # where it finds conftest.py
