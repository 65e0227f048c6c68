"""A TCP proxy between the firmware and the chain's JSON-RPC endpoint.

It runs on its own asyncio loop in a thread so tests and the CLI can drive it from plain
code. ``online = False`` is a blackhole (connections hang, nothing answers): the firmware
sees exactly what a dead uplink looks like. Fault kinds plug in as ``Toxic`` objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Pipe = Callable[[bytes, str], Awaitable[bytes | None]]


@dataclass
class RpcProxy:
    upstream_host: str
    upstream_port: int
    online: bool = True
    port: int = 0
    toxics: list[Pipe] = field(default_factory=list)
    connections: int = 0

    def start(self) -> RpcProxy:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def main() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            async with self._server:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._server.serve_forever()

        self._thread = threading.Thread(target=lambda: self._loop.run_until_complete(main()),
                                        name="rpc-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(5):
            raise RuntimeError("the RPC proxy did not start")
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        def close() -> None:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()

        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(close)
        self._thread.join(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while not self.online:  # blackhole: accept, then never answer
                await asyncio.sleep(0.05)
                if reader.at_eof():
                    return
            up_r, up_w = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pump(reader, up_w, "up"), self._pump(up_r, writer, "down"),
                             return_exceptions=True)
        for w in (writer, up_w):
            with contextlib.suppress(Exception):
                w.close()

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    direction: str) -> None:
        while True:
            data = await src.read(65536)
            if not data:
                with contextlib.suppress(Exception):
                    dst.write_eof()
                return
            while not self.online:
                await asyncio.sleep(0.05)
            for toxic in self.toxics:
                data = await toxic(data, direction)
                if data is None:
                    return
            dst.write(data)
            await dst.drain()
