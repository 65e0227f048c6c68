"""A fault proxy between the firmware and the chain's JSON-RPC endpoint.

It runs on its own asyncio loop in a thread so tests, faults and the CLI drive it from plain
code. Traffic passes through the toxics currently added (``add_toxic``), as in toxiproxy,
but HTTP-aware: requests and responses are relayed as whole messages, so a toxic can drop
exactly the response to ``eth_sendRawTransaction``. ``online = False`` is a blackhole
(connections hang, nothing answers): what a dead uplink looks like from the firmware.

On a bench the firmware runs on a real Pi: bind to an interface the Pi reaches
(``bind_host="0.0.0.0"``) and give the address the Pi should use (``advertise_host``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import socket
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from emulators.realtime import answer_promptly
from rig.net.gate import Gate, GateTimeout
from rig.net.link import Link
from rig.net.stats import ProxyStats
from rig.net.toxics import Toxic, make_toxic

T = TypeVar("T")
OFFLINE = "offline"
_WILDCARD = ("0.0.0.0", "::", "")
_CALL_TIMEOUT = 10.0
HOLD_TIMEOUT = 5.0     # for the node to answer what was sent before a hold


class ProxyError(RuntimeError):
    """The proxy could not do what was asked; the message says what and why."""


class RpcProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, bind_host: str = "127.0.0.1",
                 port: int = 0, advertise_host: str | None = None):
        self.upstream_host, self.upstream_port = upstream_host, upstream_port
        self.bind_host, self.port, self.advertise_host = bind_host, port, advertise_host
        self.stats = ProxyStats()
        self.connections = 0
        self._toxics: list[Toxic] = []
        self._links: set[Link] = set()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._gate: Gate | None = None

    def __repr__(self) -> str:
        names = [t.name for t in self._toxics]
        return (f"RpcProxy({self.url if self.port else 'not started'} → "
                f"{self.upstream_host}:{self.upstream_port}, toxics={names})")

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> RpcProxy:
        if self._thread is not None:
            raise ProxyError("the RPC proxy is already started")
        answer_promptly()
        self._gate = Gate()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="rpc-proxy",
                                        daemon=True)
        self._thread.start()
        try:
            self._call(self._serve())
        except OSError as e:
            self.stop()
            raise ProxyError(f"the RPC proxy cannot listen on {self.bind_host}:{self.port}: "
                             f"{e}") from e
        return self

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.bind_host, self.port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Close the listener and every link; idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self._call(self._shutdown())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        if not thread.is_alive():
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [link.task for link in self._links if link.task is not None]
        for link in list(self._links):
            link.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def url(self) -> str:
        host = self.advertise_host or self.bind_host
        if host in _WILDCARD:
            host = socket.getfqdn()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------------ toxics
    @property
    def toxics(self) -> tuple[Toxic, ...]:
        return tuple(self._toxics)

    def add_toxic(self, toxic: Toxic, duration: float | None = None) -> Toxic:
        """Put ``toxic`` on the link now (open links included); with ``duration`` it comes
        off by itself after that many seconds."""
        if duration is not None and duration <= 0:
            raise ProxyError(f"duration must be > 0 seconds, got {duration}")

        if any(t is toxic for t in self._toxics):
            raise ProxyError(f"toxic {toxic.name!r} is already on the proxy")

        async def add() -> None:
            self._toxics.append(toxic)
            for link in list(self._links):
                toxic.on_link(link)
            if duration is not None:
                asyncio.get_running_loop().call_later(duration, self._discard, toxic)

        self._call(add())
        return toxic

    def add(self, kind: str, **params: Any) -> Toxic:
        """``add_toxic(make_toxic(kind, **params))``; ``rng=`` and ``duration=`` pass through."""
        duration = params.pop("duration", None)
        return self.add_toxic(make_toxic(kind, **params), duration)

    def remove_toxic(self, toxic: Toxic | str) -> int:
        """Take off this toxic (or every toxic of that name); returns how many came off."""

        async def remove() -> int:
            gone = [t for t in self._toxics
                    if t is toxic or (isinstance(toxic, str) and t.name == toxic)]
            for t in gone:
                self._discard(t)
            return len(gone)

        return self._call(remove())

    def clear_toxics(self) -> None:
        async def clear() -> None:
            self._toxics.clear()

        self._call(clear())

    def _current_toxics(self) -> tuple[Toxic, ...]:
        return tuple(self._toxics)

    def _discard(self, toxic: Toxic) -> None:
        self._toxics[:] = [t for t in self._toxics if t is not toxic]

    @property
    def online(self) -> bool:
        return not any(t.name == OFFLINE for t in self._toxics)

    @online.setter
    def online(self, online: bool) -> None:
        if online:
            self.remove_toxic(OFFLINE)
        elif self.online:
            self.add("blackhole", name=OFFLINE)

    @contextlib.contextmanager
    def held(self, timeout: float = HOLD_TIMEOUT) -> Iterator[None]:
        """Nothing the firmware sends reaches the node inside: its requests wait here, and
        the block begins once the node has answered those already sent (``gate``). A
        request a toxic swallows (blackhole) is not waited for; one it delays is."""
        gate = self._gate
        if gate is None:
            raise ProxyError("the RPC proxy is not running: call start() first")
        try:
            self._call(gate.hold(timeout))
        except GateTimeout as e:
            raise ProxyError(f"cannot hold the firmware's requests: {e}") from e

        async def release() -> None:
            gate.release()

        try:
            yield
        finally:
            with contextlib.suppress(ProxyError):   # stopped inside the hold: nothing waits
                self._call(release())

    @property
    def active_links(self) -> int:
        return len(self._links)

    # ------------------------------------------------------------------ plumbing
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        assert self._gate is not None
        link = Link(next(self._ids), (reader, writer), (self.upstream_host, self.upstream_port),
                    self._current_toxics, self.stats, self._gate)
        self._links.add(link)
        try:
            await link.run()
        except asyncio.CancelledError:
            pass  # stop(): the connection task ends quietly, its link already closed
        finally:
            self._links.discard(link)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the proxy's loop and wait for its result (from any other thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            coro.close()
            raise ProxyError("the RPC proxy is not running: call start() first")
        if self._thread is threading.current_thread():
            coro.close()
            raise ProxyError("RpcProxy methods are for other threads, not the proxy's loop")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(_CALL_TIMEOUT)
        except concurrent.futures.TimeoutError as e:
            future.cancel()
            raise ProxyError(f"the RPC proxy's loop did not answer within {_CALL_TIMEOUT}s")\
                from e
