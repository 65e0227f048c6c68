"""Swarm fault profiles: each example first draws which fault families are on and how hard
they fire, so the examples of a night differ in kind, not only in order.

Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): a schedule that may use every
fault at every step is mostly a blur of everything; one in which some families are off and
the others fire at their own rate reaches deep states of the ones that are on (a calm chain
with many power cuts; a lossy uplink with nothing else). The profile is drawn by Hypothesis
in the example's first rule, so it shrinks with the example (towards "off") and replays
from the same choices.

A family that is off is never chosen (its rules' precondition); a rule of a family that is on
fires its fault when its roll is below the family's rate, and otherwise someone buys a
coffee (a step of ordinary life). ``rpc_loss`` is the share of requests a ``net.loss``
fault loses; 0 leaves that fault out of the network menu.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# The fault families the rules draw from (rule name → family in rig_machine).
FAMILIES = ("power", "net", "chain", "i2c", "serial", "nfc", "storage")
RATES = (0, 10, 30, 60, 100)          # percent of a family's chosen steps that fire
RPC_LOSS = (0, 5, 10, 20, 30)         # percent of requests a net.loss fault loses
ROLL = st.integers(0, 99)             # a rule's roll against its family's rate


@dataclass(frozen=True)
class FaultProfile:
    rates: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAMILIES, 100))
    rpc_loss: int = 10

    def on(self, family: str) -> bool:
        return self.rates.get(family, 0) > 0

    def fires(self, family: str, roll: int) -> bool:
        return roll < self.rates.get(family, 0)

    def doc(self) -> dict[str, Any]:
        return {"rates_percent": dict(self.rates), "rpc_loss_percent": self.rpc_loss}

    def describe(self) -> str:
        """One line: ``power 30%, net off, ...; rpc loss 10%``."""
        parts = [f"{f} {r}%" if r else f"{f} off" for f, r in self.rates.items()]
        return f"fault profile: {', '.join(parts)}; rpc loss {self.rpc_loss or 'off'}" + \
            ("%" if self.rpc_loss else "")


@st.composite
def fault_profiles(draw: st.DrawFn) -> FaultProfile:
    rates = {f: draw(st.sampled_from(RATES)) for f in FAMILIES}
    return FaultProfile(rates, draw(st.sampled_from(RPC_LOSS)))
