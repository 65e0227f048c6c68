"""Shared by the end-to-end fault tests: fire a fault around a block, wait for an idle machine."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

from rig.faults import FaultContext, Timeline
from rig.faults.base import Fault
from rig.harness.machine_rig import MachineRig


def fault_ctx(m: MachineRig) -> FaultContext:
    return FaultContext(m, random.Random(m.seed), Timeline())


@contextlib.contextmanager
def active(fault: Fault, ctx: FaultContext) -> Iterator[Fault]:
    """Fire now, heal on the way out whatever happens (the session chain is shared)."""
    fault.fire(ctx)
    try:
        yield fault
    finally:
        fault.heal(ctx)


def idle(m: MachineRig) -> dict:
    """Booted, synced, checked in, nothing in flight."""
    m.power_on()
    return m.wait_until(lambda s: s["online"] and s["checked_in"] and not s["open_tx"],
                        what="online, checked in and idle")
