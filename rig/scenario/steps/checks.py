"""Assertions on what the machine and the emulated hardware say mid-scenario."""

from __future__ import annotations

from rig.effects import NONE
from rig.scenario.context import RunContext, StepFailed
from rig.scenario.model import Step
from rig.scenario.steps.registry import step

_INT = (int, type(None))


@step("assert", begins=NONE, ends=NONE,
      credits=(_INT, None), dispensed=(_INT, None), latest_sequence=(_INT, None),
      online=((bool, type(None)), None), open_tickets=(_INT, None), signed=(_INT, None))
def check(ctx: RunContext, s: Step, credits: int | None, dispensed: int | None,
          latest_sequence: int | None, online: bool | None, open_tickets: int | None,
          signed: int | None) -> None:
    m = ctx.machine
    status = m.status() if any(v is not None for v in (credits, latest_sequence, online,
                                                        open_tickets)) else {}
    got = {
        "credits": lambda: status["credits"],
        "dispensed": lambda: len(m.brew.dispenses()),
        "latest_sequence": lambda: (status["latest"] or {}).get("sequence", 0),
        "online": lambda: status["online"],
        "open_tickets": lambda: sum(t.get("state") == "open"
                                    for t in status["tickets"].values()),
        "signed": lambda: sum(len(p.wallet.receipts()) for p in m.phones),
    }
    wanted = {"credits": credits, "dispensed": dispensed, "latest_sequence": latest_sequence,
              "online": online, "open_tickets": open_tickets, "signed": signed}
    wrong = {k: (v, got[k]()) for k, v in wanted.items() if v is not None and got[k]() != v}
    if wrong:
        raise StepFailed(s, "; ".join(f"{k}: expected {v}, got {g}"
                                      for k, (v, g) in wrong.items()))
