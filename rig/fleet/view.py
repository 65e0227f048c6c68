"""What the live page shows of a fleet: a plain-JSON picture of every machine and channel,
the faults as they fired and healed, and the verdicts once the channels are checked."""

from __future__ import annotations

from typing import Any

from rig.fleet.assemble import Fleet
from rig.platform.deploy import CREDIT


def machine_view(fleet: Fleet, result: Any, online: set[int] | None,
                 checked: bool) -> list[dict[str, Any]]:
    """``online``: the indices reachable now (None: all). ``checked``: verdicts are in."""
    out = []
    for fm, day in zip(fleet.machines, result.machines, strict=True):
        m = fm.rig
        last = day.exposure.samples[-1] if day.exposure.samples else None
        checkpoints = list(m.control.checkpoints)
        out.append({
            "name": fm.name, "powered": m.powered,
            "online": online is None or fm.index in online,
            "checkpoint": checkpoints[-1].name if checkpoints else "",
            "deposit_eur": m.rental.terms.channel_deposit / CREDIT,
            "signed_eur": last.signed / CREDIT if last else 0.0,
            "redeemed_eur": last.redeemed / CREDIT if last else 0.0,
            "owed_eur": last.exposure / CREDIT if last else 0.0,
            "served": day.verdicts["served"],
            "outcome": day.outcome if checked else None,
        })
    return out


def fleet_view(fleet: Fleet, result: Any, *, phase: str, clock: str,
               online: set[int] | None, timeline: list[dict[str, str]]) -> dict[str, Any]:
    checked = phase == "finished"
    o = result.options
    return {
        "title": ("" if o.shard.whole else f"shard {o.shard} of {o.machines}: ")
                 + f"fleet of {len(fleet.machines)} machines, seed {o.seed}: "
                 f"{o.policy.describe()}",
        "phase": phase, "clock": clock,
        "machines": machine_view(fleet, result, online, checked),
        "timeline": list(timeline),
        "verdicts": {"outcome": result.outcome, "message": result.message.splitlines()[0]
                     if result.message else ""} if checked else None,
    }
