"""What the network fault kinds share: one toxic on the machine's RPC proxy while active.

The toxic gets its own generator, drawn from the run's ``ctx.rng`` when the fault fires, so
its random choices (jitter, slice sizes) replay from the seed without interleaving with
draws made elsewhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

from rig.faults.base import Fault, FaultError
from rig.faults.context import FaultContext
from rig.net.toxics import STREAMS, Toxic, ToxicError, make_toxic


@dataclass
class ToxicFault(Fault):
    hardware: ClassVar[frozenset[str]] = frozenset()
    family = "net"
    toxic: ClassVar[str]

    def toxic_params(self) -> dict[str, Any]:
        return {}

    def toxic_duration(self) -> float | None:
        """Seconds after which the toxic comes off by itself; None = until healed."""
        return None

    def check_toxic(self) -> None:
        """Validate by building the toxic once (a backstop behind the fault's own checks)."""
        try:
            self.make(random.Random(0))
        except ToxicError as e:
            raise FaultError(f"{self.kind}: {e}") from e

    def check_stream(self, stream: str) -> None:
        self.require(stream in STREAMS,
                     f"stream must be one of {', '.join(STREAMS)}, not {stream!r}")

    def make(self, rng: random.Random) -> Toxic:
        return make_toxic(self.toxic, rng=rng, name=self.kind, **self.toxic_params())

    def fire(self, ctx: FaultContext) -> None:
        toxic = self.make(random.Random(ctx.rng.getrandbits(64)))
        self._toxic: Toxic | None = ctx.machine.proxy.add_toxic(toxic, self.toxic_duration())

    def heal(self, ctx: FaultContext) -> None:
        toxic = getattr(self, "_toxic", None)
        if toxic is not None:  # removing one that already came off is a no-op
            ctx.machine.proxy.remove_toxic(toxic)
