"""power.cut_at_checkpoint — hold the firmware at a named checkpoint, cut the power there."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register
from rig.harness.checkpoints import CHECKPOINTS
from rig.harness.control import ControlError


@register
@dataclass
class PowerCutAtCheckpoint(Fault):
    kind = "power.cut_at_checkpoint"
    family = "power"
    description = ("hold the firmware when it reaches `checkpoint` (the `occurrence`-th time "
                   "from now) and cut the power right there")
    checkpoint: str = "receipt-persisted"
    occurrence: int = 1
    wait_seconds: float = 120.0

    def __post_init__(self) -> None:
        self.require(self.checkpoint in CHECKPOINTS,
                     f"unknown checkpoint {self.checkpoint!r}; known: {', '.join(CHECKPOINTS)}")
        self.require(self.occurrence >= 1, "occurrence must be >= 1")

    def fire(self, ctx: FaultContext) -> None:
        m = ctx.machine
        mark = m.control.mark()
        m.control.hold(self.checkpoint)

        def cut_when_reached() -> None:
            after = mark
            try:
                for _ in range(self.occurrence):
                    cp = m.control.wait_for(self.checkpoint, timeout=self.wait_seconds,
                                            after=after)
                    after = cp.seq
                    if _ + 1 < self.occurrence:
                        m.control.release(self.checkpoint)
            except ControlError as e:
                ctx.timeline.record(m, self.kind, "miss", self.params(), note=str(e))
                return
            m.power_cut()
            ctx.timeline.record(m, self.kind, "cut", self.params(),
                                note=f"power cut while held at {self.checkpoint}")

        threading.Thread(target=cut_when_reached, name=self.kind, daemon=True).start()

    def heal(self, ctx: FaultContext) -> None:
        m = ctx.machine
        if m.pi.powered:
            try:
                m.control.hold()
                m.control.release(self.checkpoint)
            except ControlError:
                pass
        else:
            m.power_on()
