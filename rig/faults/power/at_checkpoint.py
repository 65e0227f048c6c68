"""power.cut_at_checkpoint — hold the firmware at a named checkpoint, cut the power there.

``fire`` sets the hold and returns once the firmware acknowledged it, so the first time the
firmware reaches the checkpoint after that it is held. A watcher thread then cuts the power
while it is held there (timeline ``cut``), or gives up after ``wait_seconds`` or when that
boot of the firmware ends (``miss``) and lifts the hold, so a later pass is not held. ``heal``
stops the watcher first: once it returns no cut can come.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register
from rig.harness.checkpoints import CHECKPOINTS
from rig.harness.control import ControlError

JOIN_SECONDS = 10.0   # a watcher that was told to stop is done within one cut or one release


@register
@dataclass
class PowerCutAtCheckpoint(Fault):
    hardware = frozenset({"firmware_host"})
    kind = "power.cut_at_checkpoint"
    effects = frozenset({Effect.CUTS_POWER})
    begins_on = frozenset({"cut"})
    notes = frozenset({"miss"})
    family = "power"
    description = ("hold the firmware when it reaches `checkpoint` (the `occurrence`-th time "
                   "from now) and cut the power right there; after `wait_seconds` without it "
                   "(per occurrence) the hold is lifted and the miss recorded")
    checkpoint: str = "receipt-persisted"
    occurrence: int = 1
    wait_seconds: float = 120.0

    def __post_init__(self) -> None:
        self.require(self.checkpoint in CHECKPOINTS,
                     f"unknown checkpoint {self.checkpoint!r}; known: {', '.join(CHECKPOINTS)}")
        self.require(self.occurrence >= 1, "occurrence must be >= 1")
        self._stop = threading.Event()   # set by heal: the watcher must not cut any more
        self._lock = threading.Lock()    # a cut or a miss happens whole, or not after heal
        self._watcher: threading.Thread | None = None
        self._boot = 0                   # the firmware boot the hold was set in

    def fire(self, ctx: FaultContext) -> None:
        ack = ctx.machine.control.hold(self.checkpoint)
        self._boot = ack.boot
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, args=(ctx, ack.mark),
                                         name=self.kind, daemon=True)
        self._watcher.start()

    def _watch(self, ctx: FaultContext, after: int) -> None:
        m = ctx.machine
        try:
            for n in range(1, self.occurrence + 1):
                cp = m.control.wait_reached(self.checkpoint, self._boot, after,
                                            self.wait_seconds, stop=self._stop)
                if cp is None:
                    return
                after = cp.seq
                if n < self.occurrence:
                    m.control.release(self.checkpoint)
        except ControlError as e:
            with self._lock:
                if self._stop.is_set():
                    return
                ctx.timeline.record(m, self.kind, "miss", self.params(), note=str(e))
                self._lift(ctx)
            return
        with self._lock:
            if self._stop.is_set():
                return
            m.power_cut()
            ctx.timeline.record(m, self.kind, "cut", self.params(),
                                note=f"power cut while held at {self.checkpoint}")

    def heal(self, ctx: FaultContext) -> None:
        m = ctx.machine
        with self._lock:
            self._stop.set()
        m.control.wake()
        if self._watcher is not None:
            self._watcher.join(JOIN_SECONDS)
        if m.powered:
            self._lift(ctx)
        else:
            m.strategy.transition("booted")

    def _lift(self, ctx: FaultContext) -> None:
        """Hold nothing any more, which also frees the firmware if it is held right now. Only
        in the boot the hold was set in: a firmware that booted again holds what its config
        says, and one that is gone holds nothing."""
        control = ctx.machine.control
        if control.boots == self._boot:
            with contextlib.suppress(ControlError):
                control.hold()
