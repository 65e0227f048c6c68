"""Holding the firmware's requests at the proxy while the rig rewrites the chain under it.

anvil's reorg reads the chain's height and then unwinds it without waiting for a block its
miner is building: a transaction the firmware sends in between lands on top of the removed
blocks, leaves their numbers empty for good, and is missing from the fault's record of what
it dropped. While the gate is held, requests wait at the proxy before they go upstream; a
hold begins once the node has answered every request already sent to it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class GateTimeout(RuntimeError):
    """A request already at the node got no answer in time, so the hold could not begin.
    (Not a TimeoutError: the proxy reads that as its own loop not answering.)"""


class Gate:
    def __init__(self) -> None:
        self._holders = 0
        self._open = asyncio.Event()
        self._open.set()
        self._upstream = 0         # requests sent to the node and not answered yet
        self._quiet = asyncio.Event()
        self._quiet.set()

    @contextlib.asynccontextmanager
    async def passage(self) -> AsyncIterator[None]:
        """One request's way to the node and its answer back; waits while the gate is held."""
        await self._open.wait()
        self._upstream += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._upstream -= 1
            if not self._upstream:
                self._quiet.set()

    async def hold(self, timeout: float) -> None:
        """New requests wait from now; returns once none is at the node."""
        self._holders += 1
        self._open.clear()
        try:
            await asyncio.wait_for(self._quiet.wait(), timeout)
        except TimeoutError:
            self.release()
            raise GateTimeout(f"{self._upstream} request(s) sent to the node got no answer "
                              f"within {timeout} s") from None

    def release(self) -> None:
        self._holders -= 1
        if not self._holders:
            self._open.set()
