"""The state of one scenario run while its steps execute."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from emulators.phone import Phone
from rig.faults import Fault, FaultContext, Timeline, make_fault
from rig.harness.machine_rig import MachineRig
from rig.scenario.model import Step


class StepFailed(AssertionError):
    """A step's expectation did not hold (the scenario's own assertion, not an invariant)."""

    def __init__(self, s: Step, message: str):
        super().__init__(f"{s.where}: {message}")
        self.step = s


@dataclass
class ActiveFault:
    name: str
    fault: Fault
    fired_at: float


@dataclass
class RunContext:
    machine: MachineRig
    rng: random.Random
    timeline: Timeline = field(default_factory=Timeline)
    active: list[ActiveFault] = field(default_factory=list)
    ops: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, s: Step) -> None:
        from rig.scenario.steps import run_step

        if s.kind not in ("serial", "parallel", "repeat", "fault", "heal"):
            self.timeline.record(self.machine, s.kind, "step", dict(s.args), note=s.where)
        run_step(self, s)

    def phone(self, s: Step, index: int) -> Phone:
        if not 1 <= index <= len(self.machine.phones):
            raise StepFailed(s, f"phone {index} does not exist (1..{len(self.machine.phones)})")
        return self.machine.phones[index - 1]

    def record_op(self, op: str, **facts: Any) -> None:
        with self._lock:
            self.ops.append({"at": time.time(), "op": op, **facts})

    # ------------------------------------------------------------------ faults
    def _fault_ctx(self, fault: Fault) -> FaultContext:
        # Each fault gets its own generator from the run's seed, in firing order.
        return FaultContext(self.machine, random.Random(self.rng.random()), self.timeline)

    def fire(self, s: Step | None, kind: str, params: dict[str, Any], name: str | None) -> None:
        fault = make_fault(kind, params)
        label = name or f"{kind}#{len(self.active) + 1}"
        ctx = self._fault_ctx(fault)
        self.timeline.record(self.machine, kind, "fire", fault.params(), note=label)
        fault.fire(ctx)
        with self._lock:
            self.active.append(ActiveFault(label, fault, time.time()))

    def heal(self, s: Step | None = None, kind: str | None = None,
             name: str | None = None) -> None:
        with self._lock:
            chosen = [a for a in self.active
                      if (kind is None or a.fault.kind == kind)
                      and (name is None or a.name == name)]
            if s is not None and (kind or name) and not chosen:
                raise StepFailed(s, f"no active fault matches kind={kind} name={name}; active:"
                                    f" {[a.name for a in self.active]}")
            for a in chosen:
                self.active.remove(a)
        for a in reversed(chosen):
            a.fault.heal(self._fault_ctx(a.fault))
            self.timeline.record(self.machine, a.fault.kind, "heal", a.fault.params(),
                                 note=a.name)
