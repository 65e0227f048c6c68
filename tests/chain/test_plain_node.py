"""A node with no dev methods (``rig.chain.plain``): it refuses every dev method as geth does,
the rig probes nothing on it, tests needing a dev method skip there, and both demos run on it
by waiting for real blocks instead of moving time."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from contracts import load_artifacts
from rig.chain.anvil import AnvilOptions
from rig.chain.capabilities import probe
from rig.chain.errors import MissingCapability
from rig.chain.node import Chain, dev_account
from rig.chain.plain import PLAIN_BLOCK_TIME, PlainNode, PlainNodeError
from rig.chain.tx import Sender
from rig.demo.challenge import CHALLENGE_BLOCKS

RIG = Path(sys.executable).parent / "rig"
DEMO_TIMEOUT = 420


@pytest.fixture(scope="module")
def plain() -> Iterator[PlainNode]:
    with PlainNode() as node:
        yield node


def _call(url: str, method: str, *params: object, call_id: int = 1) -> dict:
    return requests.post(url, json={"jsonrpc": "2.0", "id": call_id, "method": method,
                                    "params": list(params)}, timeout=10).json()


@pytest.mark.parametrize(("method", "params"), [
    ("evm_snapshot", ()), ("evm_increaseTime", (3600,)), ("evm_mine", ()),
    ("anvil_mine", ("0x1",)), ("anvil_setBalance", (dev_account(63).address, "0x1")),
    ("hardhat_mine", ("0x1",)), ("debug_traceTransaction", ("0x" + "00" * 32,)),
    ("txpool_content", ()),
])
def test_each_dev_method_family_is_refused_as_geth_refuses_it(plain, method, params):
    """Valid parameters, so the method itself (not its arguments) is what is refused."""
    reply = _call(plain.url, method, *params, call_id=42)
    assert reply == {"jsonrpc": "2.0", "id": 42, "error": {
        "code": -32601, "message": f"the method {method} does not exist/is not available"}}


def test_standard_calls_pass_through_unchanged(plain):
    direct, front = Chain(plain.anvil.url), Chain(plain.url)
    assert front.chain_id == direct.chain_id == 31337
    head = direct.block_number
    for method, params in [("eth_getBlockByNumber", (hex(head), True)),
                           ("eth_getBalance", (dev_account(3).address, hex(head))),
                           ("eth_gasPrice", ())]:
        assert front.rpc(method, *params) == direct.rpc(method, *params), method
    s, alice = Sender(front), dev_account(20)
    h = front.send_raw(s.sign(alice, s.build(alice, to=dev_account(21).address, value=7,
                                             gas=21_000)))
    receipt = front.wait(h, timeout=10)    # mined by the node on its own
    assert receipt["status"] == 1
    assert direct.rpc("eth_getTransactionByHash", h.to_0x_hex())["value"] == "0x7"


def test_a_batch_has_its_dev_members_refused_and_the_rest_answered_in_order(plain):
    batch = [{"jsonrpc": "2.0", "id": n, "method": m, "params": []} for n, m in
             enumerate(["eth_chainId", "evm_mine", "web3_clientVersion", "txpool_content",
                        "eth_blockNumber"])]
    replies = requests.post(plain.url, json=batch, timeout=10).json()
    assert [r["id"] for r in replies] == [0, 1, 2, 3, 4]
    assert replies[0]["result"] == "0x7a69"
    assert [replies[n]["error"]["code"] for n in (1, 3)] == [-32601, -32601]
    assert replies[2]["result"].startswith("plain/anvil/")
    assert int(replies[4]["result"], 16) >= 0


def test_the_client_version_names_the_plain_front_and_is_not_taken_for_anvil(plain):
    c = Chain(plain.url)
    assert c.client_version.startswith("plain/anvil/")
    assert c.client_version.endswith("(no dev methods)")
    assert not c.is_anvil


def test_the_rig_probes_no_dev_capability_on_it(plain):
    c = Chain(plain.url)
    assert c.served == frozenset() and c.capabilities == frozenset()
    with pytest.raises(MissingCapability, match=r"plain/anvil.*does not serve mine"):
        c.mine()
    before = c.block_number
    c.wait_blocks(2, timeout=10)    # blocks come by themselves, a block time apart
    assert c.block_number >= before + 2
    head = c.block_number
    assert c.timestamp(head) - c.timestamp(head - 1) == PLAIN_BLOCK_TIME


def test_a_plain_node_must_mine_by_itself():
    with pytest.raises(ValueError, match="block_time"):
        PlainNode(AnvilOptions())
    with pytest.raises(PlainNodeError, match="not started"):
        _ = PlainNode().url


def test_stopping_closes_the_front_and_its_open_connections():
    node = PlainNode().start()
    url, session = node.url, requests.Session()
    assert session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                   "params": []}, timeout=5).ok
    node.stop()
    assert not node.running()
    with pytest.raises(requests.ConnectionError):
        session.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "eth_chainId",
                                "params": []}, timeout=5)


NEEDS_PROBE = '''
import pytest

@pytest.mark.needs("time")
def test_needs_time(chain):
    chain.increase_time(60)

@pytest.mark.needs("mine")
def test_needs_mining(chain):
    chain.mine()

@pytest.mark.anvil_only
def test_of_anvil_itself(chain):
    pass

def test_needs_nothing(chain):
    assert chain.block_number >= 0
'''


def test_tests_needing_a_dev_method_skip_there_naming_it(pytester, plain):
    pytester.makepyfile(test_needs=NEEDS_PROBE)
    result = pytester.runpytest("-p", "rig.pytestplugin", "--chain-url", plain.url,
                                "--only-capability-skips", "-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines_random([
        "*node lacks capability time: 'plain/anvil/* (no dev methods)'*",
        "*node lacks capability mine: 'plain/anvil/* (no dev methods)'*",
        "*node lacks capability anvil: 'plain/anvil/* (no dev methods)'*"])


def _demo(plain: PlainNode, *args: str) -> dict:
    """Run ``rig demo --json --chain-url`` on the plain node; its JSON document."""
    out = subprocess.run([str(RIG), "demo", "--json", "--chain-url", plain.url, *args],
                         capture_output=True, text=True, timeout=DEMO_TIMEOUT, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def _one_probe(plain: PlainNode) -> Counter[str]:
    """The dev methods one capability probe asks for (the demo's own ``Chain`` probes)."""
    chain = Chain(plain.url)          # probed already, or now: before counting
    before = Counter(plain.refused)
    probe(chain.rpc)
    return plain.refused - before


def _challenge_period(plain: PlainNode, steps: list[dict]) -> int:
    payments = next(s["PaymentProvider"] for s in steps if "PaymentProvider" in s)
    abi = load_artifacts()["PaymentProvider"].abi
    contract = Chain(plain.url).w3.eth.contract(address=payments, abi=abi)
    return contract.functions.challengePeriod().call()


@pytest.mark.slow
@pytest.mark.timeout(DEMO_TIMEOUT + 60)
def test_machine_demo_waits_out_a_short_challenge_period_and_reconciles(plain):
    """On a node that cannot move time the demo must neither ask it to (MissingCapability)
    nor wait out 24 h: a few block times, waited for in real time."""
    probed = _one_probe(plain)
    before = Counter(plain.refused)
    doc = _demo(plain, "--seed", "11")
    asked = plain.refused - before
    assert asked == probed, f"dev methods asked beyond the probe: {asked - probed}"
    ledger = doc["ledger"]
    assert ledger["reconciled"] and all(ledger["verdicts"].values())
    assert {v["outcome"] for v in ledger["oracle"]["verdicts"]} == {"ok"}
    assert ledger["dispensed"] == 32 and ledger["credits"] == 0 and ledger["locked"] == 0
    assert ledger["redeemed"] == ledger["dispensed_value"] == ledger["signed_max"]
    assert ledger["deposit"] == ledger["redeemed"] + ledger["refunded"]
    assert _challenge_period(plain, doc["steps"]) == CHALLENGE_BLOCKS * PLAIN_BLOCK_TIME
    assert any("settled" in s["what"] for s in doc["steps"])


@pytest.mark.slow
@pytest.mark.timeout(DEMO_TIMEOUT + 60)
def test_onchain_demo_waits_out_a_short_challenge_period_and_conserves(plain):
    probed = _one_probe(plain)
    before = Counter(plain.refused)
    doc = _demo(plain, "--onchain")
    assert plain.refused - before == probed
    ledger = doc["ledger"]
    assert ledger["conserved"] and ledger["token_supply_unchanged"]
    assert ledger["deposit"] == ledger["redeemed"] + ledger["refunded"] + ledger["locked"]
    assert ledger["redeemed"] > 0 and ledger["refunded"] > 0
    assert ledger["balances_change"]["payee"] == ledger["redeemed"]
    assert _challenge_period(plain, doc["steps"]) == CHALLENGE_BLOCKS * PLAIN_BLOCK_TIME
    assert any("settled" in s["what"] for s in doc["steps"])
