"""One seed per run, chosen by the rig and reported, so a failing run replays from it."""

from __future__ import annotations

import random

import pytest

from rig.scenario.seeds import new_run_seed

_KEY = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    seed = config.getoption("--rig-seed")
    shared = getattr(config, "workerinput", {}).get("rig_seed")  # an xdist worker
    config.stash[_KEY] = seed if seed is not None else shared if shared is not None \
        else new_run_seed()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """Every xdist worker uses the controller's seed."""
    node.workerinput["rig_seed"] = node.config.stash[_KEY]  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str:
    return f"rig seed: {config.stash[_KEY]} (replay with --rig-seed {config.stash[_KEY]})"


def run_seed(config: pytest.Config) -> int:
    return config.stash[_KEY]


@pytest.fixture(scope="session")
def rig_seed(request: pytest.FixtureRequest) -> int:
    return request.config.stash[_KEY]


@pytest.fixture
def rng(rig_seed: int, request: pytest.FixtureRequest) -> random.Random:
    """A generator per test, derived from the run's seed and the test's id."""
    return random.Random(f"{rig_seed}:{request.node.nodeid}")
