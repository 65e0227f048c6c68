"""Chain fixtures: a session chain, the deployed platform, per-test isolation; and the
skipping of tests that need what the node lacks.

``@pytest.mark.needs("reorg", ...)`` names chain capabilities (rig/chain/capabilities.py) a
test needs; ``@pytest.mark.anvil_only`` a test about Anvil itself. On a node attached with
``--chain-url`` that lacks one, the test skips with it named, in ``pytest_runtest_setup``
before any fixture (a module-scoped one that snapshots included) is set up. The rig's own
anvil has every capability.

Several xdist workers on one attached node each sign with their own dev accounts and are
refused the chain-wide controls (``rig.chain.share``): what needs one skips, naming it.

Isolation: with snapshots (Anvil, Hardhat, most dev nodes) each test's changes are reverted;
on a node without them each test that asks for ``platform`` gets a fresh deployment, so one
test's rental never collides with the next one's (``MachineAlreadyRented``).

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
from rig.chain.compat import check_node
from rig.chain.node import Chain
from rig.chain.share import NodeShare
from rig.platform import Platform, deploy_platform
from rig.scenario.needs import NODE_PROCESS

CONTRACT_MUTANT_ENV = "COFFEEPAY_CONTRACT_MUTANT"
SKIP_PREFIX = "node lacks capability"
_ATTACHED = pytest.StashKey[Chain]()


def attached_chain(config: pytest.Config) -> Chain | None:
    """The ``--chain-url`` node (one probe per process), None when the rig starts anvil."""
    url = config.getoption("--chain-url")
    if not url:
        return None
    chain = config.stash.get(_ATTACHED, None)
    if chain is None:
        share = NodeShare.of_xdist_worker(getattr(config, "workerinput", None))
        chain = config.stash[_ATTACHED] = Chain(url, share=share)
    return chain


def missing_for(chain: Chain | None, needs: set[str], anvil: bool = False) -> list[str]:
    """Which of ``needs`` (and Anvil itself, with ``anvil``) the node lacks: nothing on the
    rig's own anvil; the node's own process never on an attached node."""
    if chain is None:
        return []
    lacks = chain.missing(needs - {NODE_PROCESS})
    if NODE_PROCESS in needs:
        lacks.append(NODE_PROCESS)
    if anvil and not chain.is_anvil:
        lacks.append("anvil")
    return sorted(lacks)


def skip_reason(chain: Chain, lacks: list[str]) -> str:
    held = sorted(set(lacks) & chain.withheld)
    why = (f" ({', '.join(held)} held back: {chain.share.describe()} and "
           f"{'it is' if len(held) == 1 else 'they are'} chain-wide)" if held else "")
    return f"{SKIP_PREFIX} {', '.join(lacks)}: {chain.client_version!r} at {chain.url}{why}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    needs = {str(c) for m in item.iter_markers("needs") for c in m.args}
    anvil = item.get_closest_marker("anvil_only") is not None
    if not needs and not anvil:
        return
    chain = attached_chain(item.config)
    lacks = missing_for(chain, needs, anvil)
    if lacks:
        assert chain is not None
        pytest.skip(skip_reason(chain, lacks))


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Artifact]:
    return load_artifacts(mutant=os.environ.get(CONTRACT_MUTANT_ENV) or None)


@pytest.fixture(scope="session")
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    attached = attached_chain(request.config)
    if attached is not None:
        check_node(attached)
        yield attached
        return
    node = Anvil(log_path=None).start()
    try:
        yield Chain(node.url)
    finally:
        node.stop()


@pytest.fixture
def isolated_chain(chain: Chain) -> Iterator[Chain]:
    """The session chain, with everything a test did undone afterwards where the node has
    snapshots (``platform`` deploys afresh where it has not)."""
    if not chain.has("snapshot"):
        yield chain
        return
    with chain.isolated():
        yield chain


@pytest.fixture(scope="session")
def platform_session(chain: Chain, artifacts: dict[str, Artifact]) -> Platform:
    return deploy_platform(chain, artifacts=artifacts, challenge_period=3600)


@pytest.fixture
def platform(request: pytest.FixtureRequest, chain: Chain,
             artifacts: dict[str, Artifact]) -> Platform:
    """The deployed platform as freshly deployed: the session's, reverted after each test, on
    a node with snapshots; deployed anew for each test on one without."""
    if chain.has("snapshot"):
        session = request.getfixturevalue("platform_session")   # deployed before the snapshot
        request.getfixturevalue("isolated_chain")
        return session
    return deploy_platform(chain, artifacts=artifacts, challenge_period=3600)
