"""A node with no dev methods at all: what the rig meets on a production-like node.

Why it exists: ``--chain-url`` may point at a geth or a testnet endpoint that serves no
``evm_*``, ``anvil_*``, ``hardhat_*``, ``debug_*`` or ``txpool_*`` method. Time moves only
with the wall clock, blocks come when the node mines them, nothing can be snapshotted. The
rig has fallbacks for that (capabilities probed, ``MachineRig.mine`` waits for blocks, the
demos wait out the challenge period, tests skip by capability), and they are only worth
something if tests and CI run them against such a node. This module provides one.

``PlainNode`` is the rig's own anvil, mining a block every second by itself and holding
enough funded dev accounts for several sharing processes, behind ``PlainFront``: a small
JSON-RPC front that answers every dev method with geth's own refusal (-32601, "the method X
does not exist/is not available"), single calls and batch members alike, and passes every
other request through unchanged. Its ``web3_clientVersion`` is ``plain/<anvil's> (no dev
methods)``: skip messages name it, and since it does not start with "anvil" the rig does not
take it for Anvil (``Chain.is_anvil``, ``@pytest.mark.anvil_only``).

It is a front of its own rather than a toxic on ``rig.net.proxy``: the proxy's links relay
each request to the node and the node's answer back (a toxic delays, slices or drops bytes);
refusing a method means answering in the node's place, which that relay has no room for.

``python -m rig.chain.plain`` runs one until interrupted and prints its URL, for
``rig demo --chain-url URL`` by hand.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emulators.ready import ready
from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.errors import ChainError

DEV_PREFIXES = ("evm_", "anvil_", "hardhat_", "debug_", "txpool_")
"""Method families a production node does not serve (over its public HTTP API)."""
METHOD_NOT_FOUND = -32601
CLIENT_PREFIX = "plain/"
CLIENT_SUFFIX = " (no dev methods)"
PLAIN_BLOCK_TIME = 1
"""Seconds between blocks: real time, as on a chain that mines by itself."""
PLAIN_ACCOUNTS = 64
"""Funded dev accounts: four processes sharing the node, 16 each (rig/chain/share.py)."""
UPSTREAM_TIMEOUT = 30.0
_JSON = "application/json"

Answer = tuple[int, str, bytes]
"""An HTTP answer: status, content type, body."""
Forward = Callable[[bytes], Answer]


class PlainNodeError(ChainError):
    """The plain node could not start or its anvil did not answer; the message says which."""


def is_dev_method(method: str) -> bool:
    return method.startswith(DEV_PREFIXES)


def refusal(call_id: Any, method: str) -> dict[str, Any]:
    """geth's answer to a method it does not serve (rpc/errors.go, methodNotFoundError)."""
    return {"jsonrpc": "2.0", "id": call_id,
            "error": {"code": METHOD_NOT_FOUND,
                      "message": f"the method {method} does not exist/is not available"}}


def plain_version(upstream: str) -> str:
    return f"{CLIENT_PREFIX}{upstream}{CLIENT_SUFFIX}"


def _method(call: object) -> str | None:
    if isinstance(call, dict) and isinstance(call.get("method"), str):
        return call["method"]
    return None


def _dumps(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


@dataclass
class PlainRules:
    """What the front answers itself and what it passes on; counts what it refused."""

    refused: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _refuse(self, call: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.refused[call["method"]] += 1
        return refusal(call.get("id"), call["method"])

    def answer(self, body: bytes, forward: Forward) -> Answer:
        """The answer to one HTTP request body: refused here, forwarded, or both (a batch)."""
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return forward(body)      # the node says what is wrong with it
        if isinstance(doc, list) and doc:
            return self._batch(doc, body, forward)
        method = _method(doc)
        if method is not None and is_dev_method(method):
            return 200, _JSON, _dumps(self._refuse(doc))
        if method == "web3_clientVersion":
            status, kind, out = forward(body)
            return status, kind, _dumps(self._rename(json.loads(out))) if status == 200 else out
        return forward(body)

    def _batch(self, calls: list[Any], body: bytes, forward: Forward) -> Answer:
        methods = [_method(c) for c in calls]
        if not any(m is not None and (is_dev_method(m) or m == "web3_clientVersion")
                   for m in methods):
            return forward(body)
        local = [self._refuse(c) for c, m in zip(calls, methods, strict=True)
                 if m is not None and is_dev_method(m)]
        rest = [c for c, m in zip(calls, methods, strict=True)
                if m is None or not is_dev_method(m)]
        answers: list[Any] = []
        if rest:
            status, kind, out = forward(_dumps(rest))
            if status != 200:
                return status, kind, out
            got = json.loads(out)
            answers = got if isinstance(got, list) else [got]
        versions = {json.dumps(c.get("id")) for c, m in zip(calls, methods, strict=True)
                    if m == "web3_clientVersion"}
        answers = [self._rename(a) if isinstance(a, dict) and json.dumps(a.get("id")) in versions
                   else a for a in answers] + local
        # Batch answers may come in any order (JSON-RPC 2.0); geth keeps the request's.
        order = {json.dumps(c.get("id")): n for n, c in enumerate(calls) if isinstance(c, dict)}
        answers.sort(key=lambda a: order.get(json.dumps(a.get("id")) if isinstance(a, dict)
                                             else "", len(calls)))
        return 200, _JSON, _dumps(answers)

    @staticmethod
    def _rename(reply: dict[str, Any]) -> dict[str, Any]:
        if isinstance(reply.get("result"), str):
            reply["result"] = plain_version(reply["result"])
        return reply


class _Upstream:
    """One keep-alive connection to the node, per client connection (as the proxy's links)."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path or "/"
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        conn = self._conn
        if conn is not None and conn.sock is not None \
                and ready([conn.sock], timeout=0)[0]:
            conn.close()     # readable while idle: the node closed it; never resend a POST
            conn = None
        if conn is None:
            conn = self._conn = http.client.HTTPConnection(self.host, self.port,
                                                           timeout=UPSTREAM_TIMEOUT)
        return conn

    def post(self, body: bytes) -> Answer:
        conn = self._connection()
        try:
            conn.request("POST", self.path, body, {"Content-Type": _JSON})
            resp = conn.getresponse()
            out = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise PlainNodeError(f"the plain node's anvil at {self.host}:{self.port} did not "
                                 f"answer: {e!r}") from e
        if resp.will_close:
            self.close()
        return resp.status, resp.getheader("Content-Type") or _JSON, out

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], upstream: str, rules: PlainRules):
        super().__init__(address, _Handler)
        self.upstream, self.rules = upstream, rules
        self.clients: set[socket.socket] = set()
        self.clients_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.clients_lock:
            self.clients.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.clients_lock:
            self.clients.discard(request)
        super().shutdown_request(request)

    def drop_clients(self) -> None:
        """Close open keep-alive connections, so no handler thread outlives the front."""
        with self.clients_lock:
            clients = list(self.clients)
        for sock in clients:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.upstream = _Upstream(self.server.upstream)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.upstream.close()

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._reply(411, "text/plain", b"the plain node needs a Content-Length\n")
            return
        body = self.rfile.read(int(length))
        try:
            status, kind, out = self.server.rules.answer(body, self.upstream.post)
        except PlainNodeError as e:
            self._reply(502, "text/plain", f"{e}\n".encode())
            return
        self._reply(status, kind, out)

    def _reply(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class PlainFront:
    """The JSON-RPC front: dev methods refused as geth refuses them, the rest passed on."""

    upstream: str
    host: str = "127.0.0.1"
    port: int = 0
    rules: PlainRules = field(default_factory=PlainRules)
    _server: _Server | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        if self._server is None:
            raise PlainNodeError("the plain front is not started: call start() first")
        return f"http://{self.host}:{self.port}"

    def start(self) -> PlainFront:
        if self._server is not None:
            raise PlainNodeError(f"the plain front is already serving at {self.url}")
        try:
            self._server = _Server((self.host, self.port), self.upstream, self.rules)
        except OSError as e:
            raise PlainNodeError(f"the plain front cannot listen on {self.host}:{self.port}: "
                                 f"{e}") from e
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="plain-front",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close open connections; idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_clients()
        if self._thread is not None:
            self._thread.join(5)


@dataclass
class PlainNode:
    """The rig's anvil, mining by itself, behind a ``PlainFront``. Use as a context manager
    or call ``stop()``."""

    options: AnvilOptions = field(default_factory=lambda: AnvilOptions(
        block_time=PLAIN_BLOCK_TIME, accounts=PLAIN_ACCOUNTS))
    log_path: Path | None = None
    anvil: Anvil | None = field(default=None, init=False)
    front: PlainFront | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.options.block_time is None or self.options.no_mining:
            raise ValueError("a plain node mines by itself (nothing can mine on demand): give "
                             "AnvilOptions a block_time, e.g. AnvilOptions(block_time=1)")

    @property
    def url(self) -> str:
        if self.front is None:
            raise PlainNodeError("the plain node is not started: call start() first")
        return self.front.url

    @property
    def refused(self) -> Counter[str]:
        """How often each dev method was refused."""
        return self.front.rules.refused if self.front is not None else Counter()

    def start(self) -> PlainNode:
        self.anvil = Anvil(self.options, log_path=self.log_path).start()
        try:
            self.front = PlainFront(self.anvil.url).start()
        except BaseException:
            self.anvil.stop()
            raise
        return self

    def running(self) -> bool:
        return self.front is not None and self.anvil is not None and self.anvil.running()

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
            self.front = None
        if self.anvil is not None:
            self.anvil.stop()

    def __enter__(self) -> PlainNode:
        return self.start() if not self.running() else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Serve a plain node until interrupted; its URL goes to stdout."""
    with PlainNode() as node:
        print(node.url, flush=True)
        try:
            while node.running():
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
