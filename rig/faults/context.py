"""What a fault acts on: the machine under test, the chain, the run's RNG and its timeline."""

from __future__ import annotations

import random
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rig.history import TimelineEntry

if TYPE_CHECKING:
    from rig.chain.node import Chain
    from rig.harness.machine_rig import MachineRig


@dataclass
class Timeline:
    entries: list[TimelineEntry] = field(default_factory=list)

    def record(self, m: MachineRig | None, kind: str, action: str, params: dict[str, Any],
               note: str = "") -> TimelineEntry:
        last = m.control.last() if m is not None else None
        entry = TimelineEntry(time.time(), kind, action, params,
                              last.name if last else None, note)
        self.entries.append(entry)
        return entry


@dataclass
class FaultContext:
    machine: MachineRig
    rng: random.Random
    timeline: Timeline

    @property
    def chain(self) -> Chain:
        return self.machine.chain

    def chain_quiet(self) -> AbstractContextManager[None]:
        """The firmware's requests wait at its RPC proxy inside: a fault that rewrites the
        chain reads and changes it with nothing of the firmware's landing in between."""
        return self.machine.proxy.held()
