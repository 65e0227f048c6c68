"""Capabilities are probed, not read off the client name: a node that refuses some dev
methods gets the standard ones used instead, the missing ones named, tests and scenarios
needing them skipped before their fixtures run; a node without Cancun is refused before
anything is deployed."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.compat import check_node
from rig.chain.errors import AnvilOnlyError, MissingCapability, NodeUnsuitable
from rig.chain.hardhat import HardhatNode
from rig.chain.node import Chain, dev_account
from rig.chain.tx import Sender
from rig.scenario import load_scenario
from rig.scenario.needs import scenario_needs

ROOT = Path(__file__).resolve().parents[2]


class Refusing:
    """A JSON-RPC front for a real node that answers "method not found" for ``refused``
    methods (a node without them) and counts the calls it passes on."""

    def __init__(self, upstream: str, refused: set[str]):
        self.upstream, self.refused = upstream, refused
        self.calls: dict[str, int] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls[req["method"]] = outer.calls.get(req["method"], 0) + 1
                if req["method"] in outer.refused:
                    reply = {"jsonrpc": "2.0", "id": req["id"],
                             "error": {"code": -32601, "message": "Method not found"}}
                else:
                    reply = requests.post(outer.upstream, json=req, timeout=10).json()
                body = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def no_anvil_mine() -> Iterator[Refusing]:
    with Anvil() as node:
        front = Refusing(node.url, {"anvil_mine", "hardhat_mine", "anvil_reorg"})
        try:
            yield front
        finally:
            front.close()


def test_mining_falls_back_to_evm_mine_when_anvil_mine_is_missing(no_anvil_mine):
    c = Chain(no_anvil_mine.url)
    assert c.has("mine", "snapshot", "time") and not c.has("reorg")
    before, probed = c.block_number, no_anvil_mine.calls["evm_mine"]
    c.mine(3)
    assert c.block_number == before + 3
    assert no_anvil_mine.calls["evm_mine"] - probed == 3     # one evm_mine per block
    ts = c.timestamp()
    c.mine(2, interval=100)
    assert c.timestamp() == ts + 200
    with pytest.raises(AnvilOnlyError, match="anvil_reorg"):
        c.reorg(1)


def test_a_node_without_snapshots_names_the_capability():
    with Anvil() as node:
        front = Refusing(node.url, {"evm_snapshot"})
        try:
            c = Chain(front.url)
            with pytest.raises(MissingCapability, match="snapshot") as info:
                c.snapshot()
            assert info.value.capability == "snapshot"
            assert not isinstance(info.value, AnvilOnlyError)
        finally:
            front.close()


def test_probing_changes_nothing():
    with Anvil() as node:
        c0 = Chain(node.url)
        # anvil's offset starts at genesis time minus its clock when the time manager is
        # built: -1 when a second boundary falls between the two, so compare, never assume 0.
        head, ts, offset = c0.block_number, c0.timestamp(), int(c0.rpc("evm_increaseTime", 0))
        front = Refusing(node.url, set())
        try:
            c = Chain(front.url)   # another URL: probed afresh
            assert "anvil_mine" in c.served and c.has("reorg", "txpool", "set_chain_id")
            assert (c.block_number, c.timestamp(), c.automine()) == (head, ts, True)
            assert int(c.rpc("evm_increaseTime", 0)) == offset
        finally:
            front.close()


def test_hardhat_serves_the_standard_dev_methods_not_anvils():
    with HardhatNode() as node:
        c = Chain(node.url)
        assert c.has("snapshot", "mine", "time", "next_timestamp", "automine", "drop_tx")
        assert c.missing({"reorg", "set_chain_id", "txpool", "state_dump"}) == \
            ["reorg", "set_chain_id", "state_dump", "txpool"]
        before = c.block_number
        c.mine(4)
        assert c.block_number == before + 4
        check_node(c)


@pytest.mark.parametrize("hardfork", ["shanghai"])
def test_a_node_before_cancun_is_refused_before_anything_is_deployed(hardfork):
    with Anvil(AnvilOptions(hardfork=hardfork)) as node:
        c = Chain(node.url)
        nonce = c.w3.eth.get_transaction_count(dev_account(0).address)
        with pytest.raises(NodeUnsuitable, match=r"lacks Cancun \(transient storage, EIP-1153"):
            check_node(c)
        from rig.platform import deploy_platform
        with pytest.raises(NodeUnsuitable):
            deploy_platform(c)
        assert c.w3.eth.get_transaction_count(dev_account(0).address) == nonce


def test_receipts_are_polled_with_backoff_on_an_interval_mined_node():
    """2 ms forever asks hundreds of times per block; backing off, a few dozen at most."""
    with Anvil(AnvilOptions(block_time=2)) as node:
        front = Refusing(node.url, set())
        try:
            c = Chain(front.url)
            s, alice = Sender(c), dev_account(10)
            h = c.send_raw(s.sign(alice, s.build(alice, to=dev_account(11).address,
                                                 value=1, gas=21_000)))
            t = time.monotonic()
            assert c.wait(h)["status"] == 1
            waited = time.monotonic() - t
            polls = front.calls["eth_getTransactionReceipt"]
            assert polls <= 30, f"{polls} receipt polls in {waited:.2f} s"
        finally:
            front.close()


def test_scenarios_declare_what_they_need_of_the_node():
    needs = {p.stem: scenario_needs(load_scenario(p)) for p in (ROOT / "scenarios").glob("*.yaml")}
    assert "reorg" in needs["reorg-removes-redeem"]
    assert "set_chain_id" in needs["chain-id-mismatch-and-time-warp"]
    assert {"node_process", "txpool"} <= needs["node-restart-and-dropped-tx"]
    assert needs["power-cut-at-brew-done"] == frozenset()


SKIP_PROBE = '''
import pytest

RAN = []

@pytest.fixture(scope="module")
def snapshotting(chain):
    RAN.append("module fixture")
    return chain.snapshot()

@pytest.mark.needs("snapshot")
def test_needs_snapshots(snapshotting):
    pass

@pytest.mark.needs("mine")
def test_needs_mining(chain):
    chain.mine()

def test_the_module_fixture_never_ran():
    assert RAN == []
'''


def test_a_marked_test_skips_before_its_module_fixture_runs(pytester, no_anvil_mine):
    """On a node without snapshots the module-scoped snapshot fixture is never set up."""
    no_anvil_mine.refused |= {"evm_snapshot"}
    pytester.makepyfile(test_skip=SKIP_PROBE)
    result = pytester.runpytest("-p", "rig.pytestplugin", "--chain-url", no_anvil_mine.url,
                                "--only-capability-skips", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*node lacks capability snapshot: 'anvil*"])
