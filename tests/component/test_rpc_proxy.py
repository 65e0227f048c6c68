"""The fault proxy and its toxics against a real anvil: what a client sees through each."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from rig.chain.anvil import Anvil
from rig.chain.errors import ChainUnreachable
from rig.chain.node import Chain, dev_account
from rig.chain.tx import Sender
from rig.net.proxy import ProxyError, RpcProxy
from rig.net.toxics import ToxicError, make_toxic, toxic_kinds
from rig.net.toxics.bandwidth import SLICES_PER_SECOND


def _hostport(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


@pytest.fixture
def proxy(chain: Chain) -> Iterator[RpcProxy]:
    p = RpcProxy(*_hostport(chain.url)).start()
    yield p
    p.stop()


def _call(url: str, method: str, *params: object, timeout: float = 5.0) -> object:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    return requests.post(url, json=body, timeout=timeout).json()["result"]


def _raw_exchange(port: int, request: bytes, timeout: float = 5.0) -> tuple[bytes, int]:
    """Send ``request`` on a fresh socket; (everything received until close, recv count)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        got, reads = b"", 0
        while chunk := s.recv(65536):
            got += chunk
            reads += 1
    return got, reads


def _post(body: bytes, extra: str = "") -> bytes:
    return (f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n").encode() + body


RPC_CHAIN_ID = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "eth_chainId",
                           "params": []}).encode()


# ---------------------------------------------------------------------- plain relaying
def test_relays_json_rpc_on_one_keep_alive_connection(proxy, chain):
    through = Chain(proxy.url)
    for _ in range(3):
        assert through.block_number == chain.block_number
    assert proxy.connections == 1
    assert proxy.stats.method_count("answered", "eth_blockNumber") == 3


def test_batch_requests_pass_and_count_each_method(proxy):
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
             {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []}]
    replies = requests.post(proxy.url, json=batch, timeout=5).json()
    assert sorted(r["id"] for r in replies) == [1, 2]
    assert proxy.stats.method_count("forwarded", "eth_chainId") == 1
    assert proxy.stats.method_count("forwarded", "eth_blockNumber") == 1


def test_chunked_request_body_is_framed_and_relayed(proxy, chain):
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    body = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n"
                    for p in (RPC_CHAIN_ID[:10], RPC_CHAIN_ID[10:])) + b"0\r\n\r\n"
    got, _ = _raw_exchange(proxy.port, head + body)
    assert got.startswith(b"HTTP/1.1 200")
    assert json.loads(got.split(b"\r\n\r\n", 1)[1])["result"] == hex(chain.chain_id)
    assert proxy.stats.method_count("forwarded", "eth_chainId") == 1


def test_expect_continue_gets_the_go_ahead_from_the_proxy(proxy):
    got, _ = _raw_exchange(proxy.port, _post(RPC_CHAIN_ID, "Expect: 100-continue\r\n"))
    assert got.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200")


def test_not_http_gets_a_400_naming_the_problem(proxy):
    got, _ = _raw_exchange(proxy.port, b"HELLO THERE\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 400") and b"not an HTTP/1.x request line" in got
    assert proxy.stats.event_count("bad-message") == 1


def _fake_node(replies: list[bytes]) -> tuple[socket.socket, threading.Thread]:
    """A node that answers each connection's request with the next canned reply."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for reply in replies:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(reply)
                if b"Content-Length" in reply or b"chunked" in reply:
                    conn.recv(65536)   # keep-alive: wait for the proxy to hang up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


def test_chunked_and_close_delimited_answers_are_framed():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"4\r\n{\"a\"\r\n3;ext=1\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n")
    close_delimited = b"HTTP/1.0 200 OK\r\n\r\n{\"b\": 2}"
    server, thread = _fake_node([chunked, close_delimited])
    p = RpcProxy(*server.getsockname()).start()
    try:
        got, _ = _raw_exchange(p.port, _post(RPC_CHAIN_ID))
        assert got == chunked               # relayed byte for byte, trailer included
        got, _ = _raw_exchange(p.port, _post(RPC_CHAIN_ID))
        assert got == close_delimited
        assert p.stats.method_count("answered", "eth_chainId") == 2
    finally:
        p.stop()
        server.close()
        thread.join(5)


def test_bind_host_and_advertised_address_for_a_bench_pi(chain):
    p = RpcProxy(*_hostport(chain.url), bind_host="0.0.0.0", advertise_host="10.9.8.7").start()
    try:
        assert p.url == f"http://10.9.8.7:{p.port}"
        assert _call(f"http://127.0.0.1:{p.port}", "eth_chainId") == hex(chain.chain_id)
    finally:
        p.stop()


def test_lifecycle_errors_are_clear(chain):
    p = RpcProxy(*_hostport(chain.url))
    with pytest.raises(ProxyError, match="call start"):
        p.add("latency", ms=1)
    p.start()
    with pytest.raises(ProxyError, match="already started"):
        p.start()
    p.stop()
    p.stop()  # idempotent
    with pytest.raises(ProxyError, match="not running"):
        p.online = False


# ---------------------------------------------------------------------- toxics
def test_toxic_registry_validates_kinds_and_parameters():
    assert {"bandwidth", "blackhole", "latency", "reset", "response_lost",
            "slicer"} <= set(toxic_kinds())
    with pytest.raises(ToxicError, match="unknown toxic 'lag'; known: bandwidth"):
        make_toxic("lag")
    with pytest.raises(ToxicError, match=r"unknown parameter\(s\) \['delay'\]"):
        make_toxic("latency", delay=5)
    with pytest.raises(ToxicError, match="ms must be >= 0"):
        make_toxic("latency", ms=-1)
    with pytest.raises(ToxicError, match="'bytes_per_second' must be int"):
        make_toxic("bandwidth", bytes_per_second="fast")
    with pytest.raises(ToxicError, match="stream must be one of"):
        make_toxic("latency", stream="sideways")
    with pytest.raises(ToxicError, match="stream must be downstream"):
        make_toxic("response_lost", stream="upstream")


def test_latency_holds_every_answer_back(proxy):
    assert _call(proxy.url, "eth_chainId", timeout=0.2)
    toxic = proxy.add("latency", ms=600)
    with pytest.raises(requests.Timeout):
        _call(proxy.url, "eth_chainId", timeout=0.2)
    assert _call(proxy.url, "eth_chainId", timeout=10)  # late, but it arrives
    proxy.remove_toxic(toxic)
    assert _call(proxy.url, "eth_chainId", timeout=0.2)


def test_loss_loses_a_seeded_share_of_the_requests_and_the_rest_pass(proxy):
    toxic = proxy.add("loss", percent=50.0, rng=random.Random(5))
    outcomes = []
    for _ in range(40):
        try:
            outcomes.append(_call(proxy.url, "eth_chainId", timeout=2.0) is not None)
        except requests.ConnectionError:
            outcomes.append(False)
    lost = outcomes.count(False)
    assert 5 <= lost <= 35 and lost == toxic.lost  # type: ignore[attr-defined]
    assert proxy.stats.event_count("request-lost") == lost
    again = make_toxic("loss", percent=50.0, rng=random.Random(5))
    assert [again.rng.random() * 100 >= 50.0 for _ in range(40)] == outcomes


def test_loss_refuses_a_share_outside_0_to_100_and_responses():
    with pytest.raises(ToxicError, match=r"percent must be in \(0, 100\]"):
        make_toxic("loss", percent=0)
    with pytest.raises(ToxicError, match="stream must be upstream"):
        make_toxic("loss", stream="downstream")


def test_latency_jitter_comes_from_the_seeded_rng():
    def delays(seed: int) -> list[float]:
        toxic = make_toxic("latency", rng=random.Random(seed), ms=100, jitter_ms=40)
        return [toxic.delay() for _ in range(50)]  # type: ignore[attr-defined]

    first = delays(3)
    assert first == delays(3) and first != delays(4)
    assert all(0.06 <= d <= 0.14 for d in first) and len(set(first)) > 40


def _answered(proxy: RpcProxy, method: str, count: int) -> None:
    """Wait until the proxy has finished relaying ``count`` answers to ``method``."""
    deadline = time.monotonic() + 5
    while proxy.stats.method_count("answered", method) < count:
        assert time.monotonic() < deadline, f"the proxy never finished answer {count}"
        time.sleep(0.01)


def test_bandwidth_caps_the_bytes_per_second(proxy, platform):
    address = platform.payments.address
    size = len(requests.post(proxy.url, json={"jsonrpc": "2.0", "id": 1, "method":
                             "eth_getCode", "params": [address, "latest"]}, timeout=5).content)
    rate = size * 2  # the answer (body alone) needs at least half a second
    # The client can hold an answer before the proxy's thread has counted its bytes: read
    # the counter only once the proxy has finished with it, before and after.
    _answered(proxy, "eth_getCode", 1)
    proxy.add("bandwidth", bytes_per_second=rate)
    before = proxy.stats.bytes_delivered("downstream")
    start = time.monotonic()
    code = _call(proxy.url, "eth_getCode", address, "latest", timeout=30)
    elapsed = time.monotonic() - start
    _answered(proxy, "eth_getCode", 2)
    assert code == platform.chain.rpc("eth_getCode", address, "latest")
    delivered = proxy.stats.bytes_delivered("downstream") - before
    figures = f"delivered {delivered} B of a {size} B body in {elapsed:.3f} s at {rate} B/s"
    assert delivered >= size, figures
    # never faster than the link allows (a lower bound: a slow host only adds time)
    assert delivered <= rate * elapsed + rate // SLICES_PER_SECOND, figures


def test_slicer_delivers_an_answer_in_many_segments(proxy, chain):
    proxy.add("slicer", rng=random.Random(1), average_size=16, size_variation=8, delay_ms=2)
    got, reads = _raw_exchange(proxy.port, _post(RPC_CHAIN_ID))
    assert json.loads(got.split(b"\r\n\r\n", 1)[1])["result"] == hex(chain.chain_id)
    assert reads > 3


def test_blackhole_swallows_requests_and_the_link_stays_dead(proxy):
    through = Chain(proxy.url, timeout=0.3)
    proxy.online = False
    assert not proxy.online
    with pytest.raises(ChainUnreachable, match="timed out"):
        through.rpc("eth_chainId")
    assert proxy.stats.event_count("silent") == 1
    assert proxy.stats.method_count("forwarded", "eth_chainId") == 0
    proxy.online = True
    assert int(through.rpc("eth_chainId"), 16) > 0   # a new connection works again


def test_blackhole_with_timeout_hangs_up_without_an_answer(proxy):
    proxy.add("blackhole", timeout_seconds=0.2)
    got, _ = _raw_exchange(proxy.port, _post(RPC_CHAIN_ID), timeout=5)
    assert got == b""   # closed, never answered


def test_reset_breaks_open_connections_and_refuses_new_ones(proxy):
    """On the wire: the open connection and each new one get an RST (ECONNRESET), read on a
    plain socket. (An HTTP client may instead report a connection closed without an answer:
    urllib3 checks a pooled socket before reuse and so consumes the pending reset.)"""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as open_link:
        deadline = time.monotonic() + 5
        while proxy.stats.event_count("open") < 1:          # the proxy has the link
            assert time.monotonic() < deadline, "the proxy never saw the connection"
            time.sleep(0.01)
        proxy.add("reset")
        assert proxy.stats.event_count("reset") == 1       # the open one, at once
        with pytest.raises(ConnectionResetError):
            open_link.recv(1)
    # The RST can beat the connecting thread back from connect(): on a loaded host the kernel
    # completes the handshake, the proxy accepts and resets, and connect() itself reports it.
    with pytest.raises(ConnectionResetError), \
            socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as new_link:
        new_link.recv(1)
    with pytest.raises(ChainUnreachable):
        Chain(proxy.url, timeout=2).rpc("eth_chainId")
    assert proxy.stats.event_count("reset") >= 3
    proxy.clear_toxics()
    assert Chain(proxy.url, timeout=2).rpc("eth_chainId")


def test_a_toxic_with_a_duration_comes_off_by_itself(proxy):
    """Calls made while the toxic is on are reset; it comes off by itself, never before its
    duration. No call has to land inside the window: on a loaded host the first one may come
    after it, and then the toxic must already be gone (toxics are only ever taken off)."""
    duration = 0.3
    added = time.monotonic()
    proxy.add("reset", duration=duration)
    deadline = added + 10
    while True:
        assert time.monotonic() < deadline, f"the toxic is still on: {proxy.toxics}"
        try:
            assert _call(proxy.url, "eth_chainId")
        except requests.ConnectionError:
            continue                                   # reset: it was on
        assert proxy.toxics == (), "a call went through while the reset toxic was on"
        break
    assert time.monotonic() - added >= duration, "the toxic came off before its duration"


@pytest.mark.anvil_only
def test_response_lost_the_tx_is_mined_although_the_client_got_no_answer(proxy,
                                                                          isolated_chain):
    chain = isolated_chain
    sender, alice, bob = Sender(chain), dev_account(10), dev_account(11)
    nonce = chain.w3.eth.get_transaction_count(alice.address)
    raw = sender.sign(alice, sender.build(alice, to=bob.address, value=1, gas=21_000))
    toxic = proxy.add("response_lost", method="eth_sendRawTransaction", count=1)
    through = Chain(proxy.url)
    assert through.block_number == chain.block_number   # other methods pass untouched
    with pytest.raises(ChainUnreachable, match="without response"):
        through.send_raw(raw)
    # The node did execute it. Its answer (dropped) can precede the block automine makes:
    # wait for the receipt rather than read it at once.
    receipt = chain.w3.eth.wait_for_transaction_receipt(chain.w3.keccak(raw), timeout=10,
                                                        poll_latency=0.01)
    assert receipt["status"] == 1
    assert chain.w3.eth.get_transaction_count(alice.address) == nonce + 1
    assert toxic.dropped == 1 and proxy.stats.event_count("response-dropped") == 1  # type: ignore[attr-defined]
    raw2 = sender.sign(alice, sender.build(alice, to=bob.address, value=1, gas=21_000))
    assert through.send_raw(raw2) == chain.w3.keccak(raw2)  # count used up: answers pass


def test_a_node_closing_idle_connections_closes_the_clients_too(tmp_path):
    node = Anvil(log_path=tmp_path / "anvil.log").start()
    p = RpcProxy("127.0.0.1", node.port).start()
    try:
        through = Chain(p.url)
        Chain(node.url).mine(3)
        node.restart()                     # state kept, same port
        assert through.block_number == 3   # the client reconnects transparently
        assert p.stats.event_count("upstream-closed") >= 1
    finally:
        p.stop()
        node.stop()
