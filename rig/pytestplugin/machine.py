"""The machine under test as a fixture: firmware process, hardware parts, rental on-chain."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rig.harness.assemble import build_machine
from rig.harness.machine_rig import MachineRig
from rig.platform import Platform

MachineFactory = Callable[..., MachineRig]


@pytest.fixture
def machine_factory(platform: Platform, rng: random.Random, tmp_path: Path,
                    request: pytest.FixtureRequest) -> Iterator[MachineFactory]:
    built: list[MachineRig] = []
    profile = request.config.getoption("--profile") or "emulated"

    def make(**kw: Any) -> MachineRig:
        rig = build_machine(tmp_path / f"machine{len(built) + 1}", platform, rng, profile, **kw)
        built.append(rig)
        return rig

    yield make
    for rig in built:
        rig.close()
