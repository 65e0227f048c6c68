"""Processes sharing one node (xdist workers on one ``--chain-url``): each signs with its own
block of dev accounts, and none is given a chain-wide control, not even to probe it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.capabilities import CAPABILITIES
from rig.chain.compat import check_node
from rig.chain.errors import MissingCapability, NodeUnsuitable
from rig.chain.node import Chain, dev_account
from rig.chain.share import ACCOUNTS_PER_SHARE, CHAIN_WIDE, NodeShare
from rig.platform import deploy_platform
from rig.preflight import ConfigError, check_chain
from rig.pytestplugin.chain import missing_for, skip_reason
from tests.chain.test_capabilities import Refusing


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(AnvilOptions(accounts=2 * ACCOUNTS_PER_SHARE)) as n:
        yield n


def test_the_chain_wide_capabilities_are_capabilities():
    assert CHAIN_WIDE.issubset(CAPABILITIES)


@pytest.mark.parametrize(("workerinput", "expected"), [
    (None, NodeShare()),
    ({}, NodeShare()),
    ({"workerid": "gw0", "workercount": 1}, NodeShare()),
    ({"workerid": "gw2", "workercount": 4}, NodeShare(2, 4)),
])
def test_an_xdist_workers_share(workerinput, expected):
    assert NodeShare.of_xdist_worker(workerinput) == expected


def test_each_sharer_has_its_own_block_of_accounts():
    firsts = [NodeShare(i, 4).first_account for i in range(4)]
    assert firsts == [0, 16, 32, 48]
    assert NodeShare(3, 4).accounts_needed == 64
    with pytest.raises(ValueError, match="below the number"):
        NodeShare(4, 4)


def test_a_shared_node_withholds_the_chain_wide_controls_and_never_probes_snapshots(node):
    front = Refusing(node.url, set())
    try:
        own = Chain(node.url)
        shared = Chain(front.url, share=NodeShare(1, 2))
        assert own.has("snapshot", "time", "reorg", "mine")
        assert shared.has("mine", "drop_tx") and not shared.has("snapshot")
        assert shared.withheld == CHAIN_WIDE and not own.withheld
        assert "evm_snapshot" not in front.calls and "evm_revert" not in front.calls
        with pytest.raises(MissingCapability, match="held back: 2 processes share") as info:
            shared.increase_time(60)
        assert info.value.capability == "time"
        lacks = missing_for(shared, {"time", "mine"})
        assert lacks == ["time"]
        assert "time held back: 2 processes share the node" in skip_reason(shared, lacks)
    finally:
        front.close()


def test_a_sharer_deploys_with_its_own_accounts(node):
    chain = Chain(node.url, share=NodeShare(1, 2))
    platform = deploy_platform(chain, challenge_period=60)
    assert platform.actors.admin.address == dev_account(ACCOUNTS_PER_SHARE).address
    assert platform.actors.employees[0].address == dev_account(ACCOUNTS_PER_SHARE + 9).address
    nonce = chain.w3.eth.get_transaction_count
    assert nonce(platform.actors.admin.address) > 0
    assert nonce(dev_account(0).address) == 0        # the first sharer's admin sent nothing


def test_a_node_with_too_few_accounts_for_its_sharers_says_how_many():
    with Anvil(AnvilOptions(accounts=20)) as small:
        with pytest.raises(NodeUnsuitable, match=r"needs 48 funded dev accounts.*--accounts 48"):
            check_node(Chain(small.url, share=NodeShare(2, 3)))
        check_node(Chain(small.url))          # a node of its own needs only the first twelve
        with pytest.raises(ConfigError, match=r"2 processes share the node.*--accounts 32"):
            check_chain(small.url, sharers=2)     # `rig run -n 2 --chain-url`, before running
        assert check_chain(small.url) == 31337
