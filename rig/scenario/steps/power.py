"""The Pi's power switch and boot, as people (not faults) use it."""

from __future__ import annotations

from rig.effects import NONE, Effect
from rig.scenario.context import RunContext
from rig.scenario.model import Step
from rig.scenario.steps.registry import step

HOST = frozenset({"firmware_host"})


@step("boot", begins=NONE, hardware=HOST, ends=frozenset({Effect.CUTS_POWER}), synced=(bool, True))
def boot(ctx: RunContext, s: Step, synced: bool) -> None:
    """Power on and wait for the firmware to boot (and, by default, to sync once)."""
    ctx.machine.strategy.transition("synced" if synced else "booted")


@step("shutdown", hardware=HOST, begins=frozenset({Effect.CUTS_POWER}), ends=NONE)
def shutdown(ctx: RunContext, s: Step) -> None:
    """A clean shutdown (SIGTERM): not a fault."""
    ctx.machine.shutdown()


@step("backup", hardware=HOST | {"card_copies"}, begins=NONE, ends=NONE, label=(str, "backup"))
def backup(ctx: RunContext, s: Step, label: str) -> None:
    """Take a copy of the SD card (a clean shutdown first), e.g. for machine.restore_backup."""
    ctx.machine.take_backup(label)
