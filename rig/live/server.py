"""The live page's server: aiohttp in its own thread, snapshots pushed as server-sent events.

``GET /`` the page (rig/live/page.py: inline script and style, nothing fetched from outside,
so it works offline), ``GET /state`` the current snapshot as JSON, ``GET /events`` the
snapshots as they are published.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from aiohttp import web

from rig.live.board import LiveBoard
from rig.live.page import PAGE

POLL_STOP = 0.5     # seconds an event stream waits before it looks whether the server stops


class LiveServerError(OSError):
    """The page could not be served (the port is taken, the address cannot be bound)."""


class LiveServer:
    def __init__(self, board: LiveBoard, host: str = "127.0.0.1", port: int = 0):
        self.board, self.host, self.port = board, host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="live-server",
                                        daemon=True)
        self._runner: web.AppRunner | None = None
        self._stopping = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> LiveServer:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        except OSError as e:
            self._loop.call_soon_threadsafe(self._loop.stop)
            raise LiveServerError(f"cannot serve the live page on {self.host}:{self.port}: "
                                  f"{e}; choose another port (--serve PORT, 0: any)") from e
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/state", self._state)
        app.router.add_get("/events", self._events)
        self._runner = web.AppRunner(app, shutdown_timeout=2 * POLL_STOP)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.board.snapshot())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        queue = self.board.watch()
        try:
            while not self._stopping:
                try:
                    text = await asyncio.wait_for(queue.get(), POLL_STOP)
                except TimeoutError:
                    await resp.write(b": keep-alive\n\n")
                    continue
                await resp.write(f"data: {text}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.board.unwatch(queue)
        return resp

    def stop(self) -> None:
        self._stopping = True
        if self._runner is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
