"""Bringing the machine to a state: off → booted → synced → idle (labgrid's strategies).

Faults, steps and the final phase ask for the state they need instead of each checking the
power and booting by hand; a transition does only what is missing, through the capability
protocols (rig/hardware/protocols.py), so it works the same on emulated and real parts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rig.harness.control import Checkpoint
    from rig.harness.machine_rig import MachineRig


class MachineState(enum.IntEnum):
    """Ordered: each state includes the ones before it (idle is synced is booted)."""

    OFF = 0        # no power
    BOOTED = 1     # powered, the firmware reported ``booted``
    SYNCED = 2     # a sync round read the chain at or after its head of the call
    IDLE = 3       # synced, and no transaction of the firmware's is open


class StrategyError(ValueError):
    """A state the strategy does not know."""


@dataclass
class MachineStrategy:
    machine: MachineRig
    timeout: float = 30.0

    def transition(self, state: MachineState | str) -> Checkpoint | None:
        """Bring the machine to ``state``; the ``booted`` or ``synced`` checkpoint reached on
        the way (None when nothing had to be waited for)."""
        target = self._state(state)
        m = self.machine
        if target is MachineState.OFF:
            if m.powered:
                m.power_cut()
            return None
        reached = None
        if not m.powered:
            reached = m.power_on(timeout=self.timeout)
        if target >= MachineState.SYNCED:   # the uplink is the world's: never healed here
            reached = m.wait_synced(timeout=self.timeout)
        if target >= MachineState.IDLE:
            m.wait_until(lambda st: not st["open_tx"], timeout=self.timeout,
                         what="no open transaction")
        return reached

    @staticmethod
    def _state(state: MachineState | str) -> MachineState:
        if isinstance(state, MachineState):
            return state
        try:
            return MachineState[state.upper()]
        except KeyError:
            known = ", ".join(s.name.lower() for s in MachineState)
            raise StrategyError(f"no machine state {state!r}; known: {known}") from None
