"""Holding the firmware's requests at the proxy while the rig rewrites the chain
(``RpcProxy.held``): nothing reaches the node inside, and the hold begins only once the node
has answered what it was already sent."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from rig.chain.node import Chain, dev_account
from rig.net.proxy import ProxyError, RpcProxy

SENDER = 9


@pytest.fixture
def proxy(isolated_chain: Chain) -> Iterator[RpcProxy]:
    host, port = isolated_chain.url.removeprefix("http://").rsplit(":", 1)
    p = RpcProxy(host, int(port)).start()
    yield p
    p.stop()


def _wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.005)


def _ask(url: str, timeout: float = 30.0) -> object:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    return requests.post(url, json=body, timeout=timeout).json()["result"]


def _signed_transfer(c: Chain) -> bytes:
    account = dev_account(SENDER)
    return account.sign_transaction({
        "to": dev_account(SENDER + 1).address, "value": 1, "gas": 21_000,
        "gasPrice": 2 * c.w3.eth.gas_price, "chainId": c.chain_id,
        "nonce": c.w3.eth.get_transaction_count(account.address)}).raw_transaction


def test_a_transaction_sent_during_a_hold_reaches_the_node_only_after_it(proxy, isolated_chain):
    c, through = isolated_chain, Chain(proxy.url)
    raw, height = _signed_transfer(c), c.block_number
    sent: list[str] = []
    with proxy.held():
        client = threading.Thread(target=lambda: sent.append(
            through.rpc("eth_sendRawTransaction", "0x" + raw.hex())), daemon=True)
        client.start()
        _wait_for(lambda: proxy.stats.method_count("seen", "eth_sendRawTransaction") == 1,
                  "the proxy read the request")
        time.sleep(0.2)                       # time enough to pass a gate that did not hold
        assert proxy.stats.method_count("forwarded", "eth_sendRawTransaction") == 0
        assert c.block_number == height and not c.pending_hashes()
        assert client.is_alive() and not sent
    client.join(10)
    assert sent and c.wait(sent[0])["status"] == 1


def _silent_node(answer: threading.Event) -> tuple[socket.socket, threading.Thread]:
    """A node that answers each request (one per connection) only once ``answer`` is set."""
    server = socket.create_server(("127.0.0.1", 0))
    body = b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return                        # closed by the test
            with conn:
                conn.recv(65536)
                answer.wait(30)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


def test_a_hold_begins_once_the_node_answered_what_it_was_sent():
    answer = threading.Event()
    server, node = _silent_node(answer)
    p = RpcProxy(*server.getsockname()).start()
    try:
        client = threading.Thread(target=lambda: _ask(p.url), daemon=True)
        client.start()
        _wait_for(lambda: p.stats.method_count("forwarded", "eth_chainId") == 1,
                  "the request reached the node")
        began_after_the_answer: list[bool] = []

        def hold() -> None:
            with p.held():
                began_after_the_answer.append(answer.is_set())

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        time.sleep(0.2)                        # time enough to begin a hold that did not wait
        answer.set()
        holder.join(10)
        client.join(10)
        assert began_after_the_answer == [True]
    finally:
        answer.set()
        p.stop()
        server.close()
        node.join(5)


def test_a_hold_the_node_never_lets_begin_says_why_and_holds_nothing():
    answer = threading.Event()
    server, node = _silent_node(answer)
    p = RpcProxy(*server.getsockname()).start()
    try:
        threading.Thread(target=lambda: _ask(p.url), daemon=True).start()
        _wait_for(lambda: p.stats.method_count("forwarded", "eth_chainId") == 1,
                  "the request reached the node")
        refused = r"1 request\(s\) sent to the node got no answer within 0.2 s"
        with pytest.raises(ProxyError, match=refused), p.held(timeout=0.2):
            pass
        answer.set()
        _wait_for(lambda: p.stats.method_count("answered", "eth_chainId") == 1,
                  "the answer came back through the proxy")
        assert _ask(p.url, timeout=5) == "0x1"   # the gate is open
    finally:
        answer.set()
        p.stop()
        server.close()
        node.join(5)
