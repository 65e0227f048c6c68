"""One client connection through the proxy, its upstream connection, and the relay loop.

Requests and responses are relayed as whole HTTP messages (keep-alive, one at a time), so a
toxic knows which JSON-RPC methods the bytes it holds belong to. When the node closes an
idle connection the client's is closed too, as it would be without the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable

from rig.net.gate import Gate
from rig.net.http import (
    HttpFramingError,
    HttpMessage,
    error_response,
    read_request,
    read_response,
    rpc_methods,
)
from rig.net.rpcwatch import chain_id_answers, raw_txs_sent
from rig.net.stats import ProxyStats
from rig.net.toxics import (
    DOWNSTREAM,
    UPSTREAM,
    GoSilent,
    LinkAction,
    Message,
    ResetLink,
    Toxic,
)
from rig.net.toxics.base import Send

CONNECT_TIMEOUT = 5.0


class Link:
    def __init__(self, link_id: int, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 upstream: tuple[str, int], toxics: Callable[[], tuple[Toxic, ...]],
                 stats: ProxyStats, gate: Gate):
        self.id = link_id
        self.client_r, self.client_w = client
        self.upstream = upstream
        self.toxics = toxics
        self.stats = stats
        self.gate = gate
        self.up_r: asyncio.StreamReader | None = None
        self.up_w: asyncio.StreamWriter | None = None
        self.closed = False
        self.task: asyncio.Task | None = None

    def __repr__(self) -> str:
        return f"Link({self.id}, closed={self.closed})"

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        self.task = asyncio.current_task()
        peer = self.client_w.get_extra_info("peername")
        self.stats.record(self.id, "open", f"from {peer}")
        try:
            for toxic in self.toxics():
                toxic.on_link(self)
                if self.closed:
                    return
            try:
                self.up_r, self.up_w = await asyncio.wait_for(
                    asyncio.open_connection(*self.upstream), CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as e:
                self.stats.record(self.id, "upstream-unreachable",
                                  f"{self.upstream[0]}:{self.upstream[1]}: {e!r}")
                return
            await self._relay()
        except GoSilent as e:
            self.stats.record(self.id, e.event, e.reason)
            await self._silence(e.close_after)
        except ResetLink as e:
            self.reset(e.reason, e.event)
        except LinkAction as e:
            self.stats.record(self.id, e.event, e.reason)
        except HttpFramingError as e:
            self.stats.record(self.id, "bad-message", str(e))
        except (ConnectionError, OSError, asyncio.IncompleteReadError) as e:
            self.stats.record(self.id, "broken", repr(e))
        finally:
            self.close()

    def close(self) -> None:
        """Close both connections (FIN); idempotent."""
        if self.closed:
            return
        self.closed = True
        for w in (self.client_w, self.up_w):
            if w is not None:
                with contextlib.suppress(Exception):
                    w.close()
        self.stats.record(self.id, "close")

    def reset(self, reason: str, event: str = "reset") -> None:
        """Abort both connections; the client gets an RST (SO_LINGER 0), not a FIN. The relay
        loop ends by itself: its reads and writes fail on the aborted connections."""
        if self.closed:
            return
        self.stats.record(self.id, event, reason)
        sock = self.client_w.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for w in (self.client_w, self.up_w):
            if w is not None:
                w.transport.abort()
        self.closed = True
        self.stats.record(self.id, "close")

    # ------------------------------------------------------------------ relay
    async def _relay(self) -> None:
        assert self.up_r is not None and self.up_w is not None
        while True:
            req = await self._next_request()
            if req is None:
                return
            methods = rpc_methods(req.body)
            self.stats.count("seen", methods)
            if req.header("upgrade") is not None:
                self.client_w.write(error_response(
                    501, "Not Implemented", "the rig's RPC proxy relays HTTP JSON-RPC only; "
                    "protocol upgrades (websockets) are not supported\n"))
                await self.client_w.drain()
                self.stats.record(self.id, "bad-message", "protocol upgrade refused")
                return
            async with self.gate.passage():
                await self._transmit(req.raw, Message(UPSTREAM, self.id, methods), self.up_w)
                self.stats.count("forwarded", methods)
                self.stats.watch(raw_txs_sent(self.id, req.body), [])
                resp = await read_response(self.up_r, req.method)
            await self._transmit(resp.raw, Message(DOWNSTREAM, self.id, methods), self.client_w)
            self.stats.count("answered", methods)
            self.stats.watch([], chain_id_answers(self.id, req.body, resp.body))
            if not (req.keep_alive() and resp.keep_alive()):
                return

    async def _next_request(self) -> HttpMessage | None:
        """The client's next request, or None when the client or the node closed the link."""
        assert self.up_r is not None
        req_task = asyncio.ensure_future(read_request(self.client_r, self.client_w))
        idle_task = asyncio.ensure_future(self.up_r.read(1))
        try:
            done, _ = await asyncio.wait({req_task, idle_task},
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            req_task.cancel()
            idle_task.cancel()
            raise
        if idle_task in done:
            # The node closed an idle keep-alive connection (or broke HTTP by talking
            # unasked): the client's connection closes the same way.
            req_task.cancel()
            await asyncio.gather(req_task, return_exceptions=True)
            if not self.closed:
                self.stats.record(self.id, "upstream-closed", "the node closed the connection")
            return None
        idle_task.cancel()
        await asyncio.gather(idle_task, return_exceptions=True)
        try:
            return req_task.result()
        except HttpFramingError as e:
            with contextlib.suppress(Exception):
                self.client_w.write(error_response(400, "Bad Request", f"{e}\n"))
                await self.client_w.drain()
            raise

    async def _transmit(self, data: bytes, msg: Message, writer: asyncio.StreamWriter) -> None:
        async def deliver(chunk: bytes) -> None:
            writer.write(chunk)
            await writer.drain()
            self.stats.delivered(msg.stream, len(chunk))

        send: Send = deliver
        for toxic in reversed([t for t in self.toxics() if t.acts_on(msg.stream)]):
            send = _through(toxic, msg, send)
        await send(data)

    async def _silence(self, close_after: float | None) -> None:
        """Swallow whatever the client still sends; hang up only after ``close_after``."""
        if self.up_w is not None:
            with contextlib.suppress(Exception):
                self.up_w.close()

        async def drain_client() -> None:
            while await self.client_r.read(65536):
                pass

        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            await asyncio.wait_for(drain_client(), close_after)


def _through(toxic: Toxic, msg: Message, nxt: Send) -> Send:
    async def send(chunk: bytes) -> None:
        await toxic.pipe(chunk, msg, nxt)

    return send
