"""Chain fixtures: a session chain, the deployed platform, per-test snapshot isolation.

``COFFEEPAY_CONTRACT_MUTANT=NAME`` in the environment makes the session's contracts the build
with that seeded defect (``contracts/mutants.py``): how ``python -m bench.mutants`` proves the
contract tests catch it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from contracts import Artifact, load_artifacts
from rig.chain.anvil import Anvil
from rig.chain.node import Chain
from rig.platform import Platform, deploy_platform

CONTRACT_MUTANT_ENV = "COFFEEPAY_CONTRACT_MUTANT"


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Artifact]:
    return load_artifacts(mutant=os.environ.get(CONTRACT_MUTANT_ENV) or None)


@pytest.fixture(scope="session")
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    url = request.config.getoption("--chain-url")
    if url:
        yield Chain(url)
        return
    node = Anvil(log_path=None).start()
    try:
        yield Chain(node.url)
    finally:
        node.stop()


@pytest.fixture(autouse=True)
def anvil_only_gate(request: pytest.FixtureRequest) -> None:
    """Skip ``@pytest.mark.anvil_only`` tests on nodes that are not anvil."""
    if request.node.get_closest_marker("anvil_only") is None:
        return
    node: Chain = request.getfixturevalue("chain")
    if not node.is_anvil:
        pytest.skip(f"needs anvil-only RPC methods; the node is {node.client_version!r}")


@pytest.fixture
def isolated_chain(chain: Chain) -> Iterator[Chain]:
    """The session chain, with everything a test did undone afterwards."""
    if not chain.is_anvil:
        yield chain
        return
    with chain.isolated():
        yield chain


@pytest.fixture(scope="session")
def platform_session(chain: Chain, artifacts: dict[str, Artifact]) -> Platform:
    return deploy_platform(chain, artifacts=artifacts, challenge_period=3600)


@pytest.fixture
def platform(platform_session: Platform, isolated_chain: Chain) -> Platform:
    """The deployed platform, reverted to its freshly deployed state after each test."""
    return platform_session
