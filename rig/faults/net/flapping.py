"""net.flapping — the uplink goes down and up again, over and over, until healed.

Each cycle is down for about ``duty`` of ``period_seconds`` and up for the rest, every phase
stretched by a factor drawn uniformly from [0.5, 1.5) by a generator seeded from the run's
RNG, so a seed replays the same sequence of phase lengths. Down is a blackhole (links fall
silent) or, with ``mode = "reset"``, refused connections. Each transition is a timeline
entry ("down"/"up"), so the report shows where the firmware was when the link came and went.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register
from rig.net.proxy import ProxyError
from rig.net.toxics import make_toxic

MODES = ("blackhole", "reset")
_STRETCH = (0.5, 1.5)


@register
@dataclass
class NetFlapping(Fault):
    hardware = frozenset()
    kind = "net.flapping"
    effects = frozenset({Effect.CUTS_UPLINK})
    notes = frozenset({"down", "up", "stopped"})  # counted down from fire to heal
    family = "net"
    description = ("the link goes down (for ~`duty` of `period_seconds`) and up again, "
                   "repeatedly until healed; phase lengths drawn from the run's seed; down "
                   "is a blackhole or (`mode` = reset) refused connections")
    period_seconds: float = 2.0
    duty: float = 0.5
    mode: str = "blackhole"

    def __post_init__(self) -> None:
        self.require(self.period_seconds >= 0.05,
                     f"period_seconds must be >= 0.05, got {self.period_seconds}")
        self.require(0 < self.duty < 1, f"duty (the down share of a period) must be in "
                                        f"(0, 1), got {self.duty}")
        self.require(self.mode in MODES,
                     f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")

    def phases(self, rng: random.Random) -> tuple[float, float]:
        """(down seconds, up seconds) of the next cycle."""
        down = self.period_seconds * self.duty * rng.uniform(*_STRETCH)
        up = self.period_seconds * (1 - self.duty) * rng.uniform(*_STRETCH)
        return down, up

    def fire(self, ctx: FaultContext) -> None:
        self.heal(ctx)  # firing twice restarts the cycle rather than running two
        stop = threading.Event()
        self._stop: threading.Event | None = stop
        rng = random.Random(ctx.rng.getrandbits(64))
        thread = threading.Thread(target=self._flap, args=(ctx, rng, stop), name=self.kind,
                                  daemon=True)
        self._thread: threading.Thread | None = thread
        thread.start()

    def _flap(self, ctx: FaultContext, rng: random.Random, stop: threading.Event) -> None:
        m, proxy = ctx.machine, ctx.machine.proxy
        cycle = 0
        try:
            while not stop.is_set():
                cycle += 1
                down, up = self.phases(rng)
                toxic = proxy.add_toxic(make_toxic(self.mode, name=self.kind))
                ctx.timeline.record(m, self.kind, "down", self.params(),
                                    note=f"cycle {cycle}: link down for {down:.2f}s")
                stopped = stop.wait(down)
                proxy.remove_toxic(toxic)
                if stopped:
                    return
                ctx.timeline.record(m, self.kind, "up", self.params(),
                                    note=f"cycle {cycle}: link up for {up:.2f}s")
                stop.wait(up)
        except ProxyError as e:  # the machine was closed under the fault
            ctx.timeline.record(m, self.kind, "stopped", self.params(), note=str(e))

    def heal(self, ctx: FaultContext) -> None:
        stop, thread = getattr(self, "_stop", None), getattr(self, "_thread", None)
        if stop is None or thread is None:
            return
        stop.set()
        thread.join(10)
        self._stop = self._thread = None
        ctx.machine.proxy.remove_toxic(self.kind)
