"""The anvil wrapper: lifecycle, options, no orphans, and every fault-injection RPC."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.errors import (
    AnvilNotInstalled,
    AnvilOnlyError,
    AnvilStartError,
    MissingCapability,
    NodeInconsistent,
    RpcError,
)
from rig.chain.node import Chain, dev_account
from rig.chain.tx import Sender


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead for our purposes
        return f.read().split(") ", 1)[1][0] != "Z"


def _wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_start_on_port_zero_reports_port_and_stops_cleanly():
    node = Anvil(AnvilOptions(chain_id=4242)).start()
    try:
        assert node.port > 0
        c = Chain(node.url)
        assert c.chain_id == 4242
        assert c.is_anvil
        pid = node.pid
    finally:
        node.stop()
    assert _wait_dead(pid)


def test_two_anvils_run_side_by_side():
    with Anvil() as a, Anvil() as b:
        assert a.port != b.port
        Chain(a.url).mine(3)
        assert Chain(a.url).block_number == 3
        assert Chain(b.url).block_number == 0


def test_missing_binary_says_how_to_install(tmp_path):
    with pytest.raises(AnvilNotInstalled, match="make deps"):
        Anvil(binary=tmp_path / "anvil").start()


def test_bad_option_fails_with_anvil_log():
    with pytest.raises(AnvilStartError, match=r"hardfork|invalid|error"):
        Anvil(AnvilOptions(hardfork="no-such-fork")).start()


def test_options_are_validated():
    with pytest.raises(ValueError, match="order"):
        AnvilOptions(order="random")
    with pytest.raises(ValueError, match="exclude"):
        AnvilOptions(no_mining=True, block_time=1)


def test_no_orphan_when_the_owner_is_sigkilled(tmp_path):
    """pytest (here: a child python) dies by SIGKILL; its anvil must die with it."""
    script = tmp_path / "owner.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(os.getcwd())!r})
        from rig.chain.anvil import Anvil
        a = Anvil().start()
        print(a.pid, flush=True)
        time.sleep(60)
    """))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    anvil_pid = int(owner.stdout.readline())
    assert _alive(anvil_pid)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    assert _wait_dead(anvil_pid), f"anvil {anvil_pid} survived its owner"


def test_restart_keeps_state_with_state_file(tmp_path):
    node = Anvil(AnvilOptions(state=tmp_path / "state.json")).start()
    try:
        Chain(node.url).mine(7)
        node.restart()
        assert Chain(node.url).block_number == 7
    finally:
        node.stop()


def test_restart_remembers_where_the_reloaded_state_begins(tmp_path):
    """A node that reloaded its state cannot rebuild below it: a reorg deeper than that
    leaves an account without its code. ``deepest_reorg`` says how deep is safe."""
    node = Anvil(log_path=tmp_path / "anvil.log").start()
    try:
        chain = Chain(node.url)
        assert node.restart_block is None and node.deepest_reorg(0) == 0
        code = "0x602a60005260206000f3"
        holder = dev_account(3).address
        chain.anvil_rpc("anvil_setCode", holder, code)
        chain.mine(5)
        node.restart(keep_state=True)
        assert node.restart_block == chain.block_number == 5
        chain.mine(3)
        assert node.deepest_reorg(chain.block_number) == 3
        chain.reorg(3)                                   # down to the restart: fine
        assert chain.rpc("eth_getCode", holder, "latest") == code
        chain.reorg(4)                                   # one deeper: the state is gone
        assert chain.rpc("eth_getCode", holder, "latest") == "0x"
        node.restart(keep_state=False)
        assert node.restart_block is None
    finally:
        node.stop()


def test_snapshot_revert_gives_a_fresh_snapshot(isolated_chain: Chain):
    c = isolated_chain
    start = c.block_number
    snap = c.snapshot()
    c.mine(5)
    snap = c.revert(snap)
    assert c.block_number == start
    c.mine(2)
    c.revert(snap)  # the id returned by revert is usable again
    assert c.block_number == start
    with pytest.raises(RpcError, match="snapshot"):
        c.revert("0xdead")


def test_time_travel(isolated_chain: Chain):
    c = isolated_chain
    t0 = c.timestamp()
    c.increase_time(3 * 24 * 3600)
    c.mine()
    assert c.timestamp() >= t0 + 3 * 24 * 3600
    c.set_next_block_timestamp(t0 + 10 * 24 * 3600)
    c.mine()
    assert c.timestamp() == t0 + 10 * 24 * 3600


def test_mine_many_with_interval(isolated_chain: Chain):
    c = isolated_chain
    n0, t0 = c.block_number, c.timestamp()
    c.mine(10, interval=12)
    assert c.block_number == n0 + 10
    assert c.timestamp() >= t0 + 9 * 12


def _transfer(c: Chain, i: int, to_index: int, wait: bool = True, **kw):
    return Sender(c).transact(dev_account(i), to=dev_account(to_index).address, value=1,
                              gas=21_000, wait=wait, **kw)


def test_automine_off_keeps_transactions_pending_then_drop(isolated_chain: Chain):
    c = isolated_chain
    c.set_automine(False)
    try:
        h = _transfer(c, 1, 2, wait=False)
        assert h.to_0x_hex() in c.pending_hashes()
        c.drop_transaction(h)
        assert h.to_0x_hex() not in c.pending_hashes()
        h2 = _transfer(c, 1, 2, wait=False)
        c.mine()
        assert c.w3.eth.get_transaction_receipt(h2)["status"] == 1
    finally:
        c.set_automine(True)


def test_reorg_replaces_blocks_and_can_drop_a_tx(isolated_chain: Chain):
    c = isolated_chain
    receipt = _transfer(c, 1, 2)
    tip = c.block_number
    assert receipt["blockNumber"] == tip
    c.reorg(1)  # the block holding the transfer is replaced by an empty one
    assert c.block_number == tip
    with pytest.raises(Exception, match=r"not found|Transaction"):
        c.w3.eth.get_transaction_receipt(receipt["transactionHash"])


def test_a_block_or_receipt_the_node_cannot_return_is_named_not_a_type_error(chain: Chain):
    beyond = chain.block_number + 1000
    with pytest.raises(NodeInconsistent, match=rf"eth_getBlockByNumber for block {hex(beyond)}"):
        chain.block(beyond)
    unknown = "0x" + "ab" * 32
    with pytest.raises(NodeInconsistent, match=rf"transaction {unknown} 5 times"):
        chain.receipt(unknown)


def test_a_receipt_answered_null_once_is_read_again(isolated_chain: Chain):
    """anvil has answered null for a just-mined transaction's receipt (foundry-rs/foundry#10944):
    the History's read asks again instead of failing the run."""
    tx_hash = _transfer(isolated_chain, 1, 2)["transactionHash"]
    answers: list[object] = []

    class NullOnce(Chain):
        def rpc(self, method, *params):
            result = None if not answers else super().rpc(method, *params)
            answers.append(result)
            return result

    flaky = NullOnce.__new__(NullOnce)
    flaky.__dict__.update(isolated_chain.__dict__)
    assert flaky.receipt(tx_hash)["transactionHash"] == tx_hash.to_0x_hex()
    assert answers[0] is None and len(answers) == 2


def test_rollback(isolated_chain: Chain):
    c = isolated_chain
    c.mine(4)
    n = c.block_number
    c.rollback(2)
    assert c.block_number == n - 2


def test_dump_and_load_state(isolated_chain: Chain):
    c = isolated_chain
    who = dev_account(15).address
    c.set_balance(who, 123)
    state = c.dump_state()
    c.set_balance(who, 5)
    c.load_state(state)
    assert c.balance(who) == 123


def test_impersonate_sends_without_a_key(isolated_chain: Chain):
    c = isolated_chain
    whale = "0x000000000000000000000000000000000000bEEF"
    c.set_balance(whale, 10**18)
    c.impersonate(whale)
    try:
        tx = c.w3.eth.send_transaction({"from": whale, "to": dev_account(3).address,
                                        "value": 7})
        assert c.wait(tx)["status"] == 1
    finally:
        c.stop_impersonating(whale)


def test_chain_id_and_gas_limit_and_base_fee(isolated_chain: Chain):
    c = isolated_chain
    c.set_block_gas_limit(30_000)  # the fixture puts the node's limit back afterwards
    c.mine()
    assert c.w3.eth.get_block("latest")["gasLimit"] == 30_000
    c.set_next_base_fee(50 * 10**9)
    c.mine()
    assert c.w3.eth.get_block("latest")["baseFeePerGas"] == 50 * 10**9


def test_chain_id_can_change_on_a_throwaway_node():
    with Anvil() as node:
        c = Chain(node.url)
        c.set_chain_id(777)
        assert c.chain_id == 777


def test_anvil_only_methods_name_the_method_on_other_nodes():
    """A node that is not anvil: attach through a JSON-RPC stand-in answering as geth."""
    import http.server
    import json
    import threading

    class Geth(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            result = {"web3_clientVersion": "Geth/v1.14.0", "eth_chainId": "0x1"}
            reply = {"jsonrpc": "2.0", "id": req["id"]}
            if req["method"] in result:
                reply["result"] = result[req["method"]]
            else:
                reply["error"] = {"code": -32601, "message": f"the method {req['method']} "
                                                            "does not exist/is not available"}
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Geth)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        c = Chain(f"http://127.0.0.1:{srv.server_port}")
        assert not c.is_anvil
        assert c.chain_id == 1
        assert c.capabilities == frozenset()
        with pytest.raises(MissingCapability, match=r"Geth/v1\.14\.0.*snapshot") as snap:
            c.snapshot()
        assert snap.value.capability == "snapshot"
        assert not isinstance(snap.value, AnvilOnlyError)   # the standard evm_snapshot
        with pytest.raises(AnvilOnlyError, match="anvil_reorg"):
            c.reorg(1)
    finally:
        srv.shutdown()


def test_unreachable_node_is_a_clear_error():
    from rig.chain.errors import ChainUnreachable

    with pytest.raises(ChainUnreachable, match=r"127\.0\.0\.1:9"):
        Chain("http://127.0.0.1:9", timeout=0.5)


@pytest.mark.anvil_only
def test_marker_runs_on_anvil(chain: Chain):
    assert chain.is_anvil


def test_mining_modes():
    opts = AnvilOptions(block_time=1, mixed_mining=True)
    assert "--mixed-mining" in opts.argv()
    with Anvil(AnvilOptions(no_mining=True)) as node:
        c = Chain(node.url)
        assert not c.automine()
        h = _transfer(c, 1, 2, wait=False)
        assert h.to_0x_hex() in c.pending_hashes()
        c.mine()
        assert c.w3.eth.get_transaction_receipt(h)["status"] == 1


def test_fee_ordering_puts_the_higher_tip_first():
    with Anvil(AnvilOptions(no_mining=True, order="fees")) as node:
        c = Chain(node.url)
        low = _transfer(c, 1, 2, wait=False, priority_fee=1)
        high = _transfer(c, 3, 2, wait=False, priority_fee=10**10)
        c.mine()
        txs = c.w3.eth.get_block("latest")["transactions"]
        assert [t.to_0x_hex() for t in txs] == [high.to_0x_hex(), low.to_0x_hex()]


def test_isolation_restores_the_node_settings_a_snapshot_does_not(chain: Chain):
    limit = chain.w3.eth.get_block("latest")["gasLimit"]
    with chain.isolated():
        chain.set_block_gas_limit(50_000)
        chain.set_automine(False)
    assert chain.automine()
    chain.mine()
    assert chain.w3.eth.get_block("latest")["gasLimit"] == limit


def test_a_restart_without_historical_states_keeps_blocks_receipts_and_balances(tmp_path):
    """What a fleet's node restart keeps when its dump leaves the historical states out."""
    node = Anvil(AnvilOptions(dump_history=False), log_path=tmp_path / "anvil.log").start()
    try:
        chain = Chain(node.url)
        receipt = Sender(chain).transact(dev_account(1), to=dev_account(2).address,
                                         value=12345)
        chain.mine(4)
        head, balance = chain.block_number, chain.w3.eth.get_balance(dev_account(2).address)
        node.restart(keep_state=True)
        assert chain.block_number == head == node.restart_block
        again = chain.w3.eth.get_transaction_receipt(receipt["transactionHash"])
        assert again["blockNumber"] == receipt["blockNumber"] and again["status"] == 1
        assert chain.w3.eth.get_balance(dev_account(2).address) == balance
    finally:
        node.stop()
