"""clock.rtc_reset — the Pi boots without a battery clock: its time starts at the epoch.

The firmware is held at its ``booted`` checkpoint while its clock is set, so no loop ever
runs with the right time first: exactly what a Pi without RTC and without network time sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault
from rig.faults.context import FaultContext
from rig.faults.registry import register


@register
@dataclass
class ClockRtcReset(Fault):
    hardware = frozenset({"firmware_host"})
    kind = "clock.rtc_reset"
    # A power cycle: off from fire, on again once booted with the clock set.
    effects = frozenset({Effect.CUTS_POWER, Effect.SETS_MACHINE_CLOCK})
    ends_on = frozenset({"clock-set", "heal"})
    family = "clock"
    description = ("power-cycle the Pi and boot it with its clock at `boot_time` (unix "
                   "seconds; default the epoch); heal sets it to the chain's latest block time")
    boot_time: int = 0

    def __post_init__(self) -> None:
        self.require(self.boot_time >= 0, f"boot_time must be unix seconds >= 0, "
                                          f"got {self.boot_time}")

    def fire(self, ctx: FaultContext) -> None:
        m = ctx.machine
        m.strategy.transition("off")
        held = m.settings.hold
        m.write_config_hold(held if "booted" in held else (*held, "booted"))
        try:
            m.power_on()
            m.control.send({"cmd": "clock", "set": self.boot_time})
            m.control.release("booted")
        finally:
            m.write_config_hold(held)
        ctx.timeline.record(m, self.kind, "clock-set", self.params(),
                            note=f"booted with the clock at {self.boot_time}")

    def heal(self, ctx: FaultContext) -> None:
        m = ctx.machine
        m.strategy.transition("booted")
        m.control.send({"cmd": "clock", "set": m.chain.timestamp("latest")})
