"""A fleet run's figures: what the day cost, how long money waited, what was at risk.

``summarize`` turns a FleetResult into plain JSON (written next to the run and into
``bench/results/``); ``render`` prints it for a person.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from rig.fleet.cost import CostModel
from rig.fleet.run import FleetResult
from rig.platform.deploy import CREDIT

SCHEMA = "coffeepay-fleet/1"


def _warm_redeems(result: FleetResult) -> list[int]:
    """Gas of each successful redeem after a channel's first (the first writes cold storage
    slots and pays for it once per channel)."""
    out = []
    for m in result.machines:
        redeems = [t["gas"] for t in m.txs if t["kind"] == "redeem" and t["status"] == 1]
        out += redeems[1:]
    return out


def summarize(result: FleetResult, cost: CostModel | None = None) -> dict[str, Any]:
    cost = cost or CostModel()
    o, n = result.options, max(len(result.machines), 1)
    verdicts: Counter[str] = Counter()
    for m in result.machines:
        verdicts.update(m.verdicts)
    txs = [t for m in result.machines for t in m.txs]
    redeem_gas = sum(t["gas"] or 0 for t in txs if t["kind"] == "redeem")
    all_gas = sum(t["gas"] or 0 for t in txs)
    warm = _warm_redeems(result)
    means = [x for m in result.machines if (x := m.exposure.mean_latency()) is not None]
    worsts = [m.exposure.worst_latency() for m in result.machines]
    never = any(w is None for w in worsts)
    peaks = [m.exposure.peak for m in result.machines]
    times = [s.at for s in result.machines[0].exposure.samples] if result.machines else []
    fleet_at_risk = [sum(m.exposure.samples[i].exposure for m in result.machines)
                     for i in range(len(times))]
    per_day = redeem_gas / n
    return {
        "schema": SCHEMA,
        "outcome": result.outcome, "message": result.message.splitlines()[0][:300]
        if result.message else "",
        "replay": o.replay, "seed": o.seed, "machines": len(result.machines),
        "shard": None if o.shard.whole else {"shard": str(o.shard), "of_machines": o.machines},
        "employees_per_office": o.day.employees,
        "policy": {"threshold_eur": o.policy.threshold / CREDIT,
                   "interval_s": o.policy.interval},
        "faults": [f.describe() for f in result.faults],
        "coffees": {"wanted": result.coffees, **dict(verdicts),
                    "machine_dark": sum(m.dark for m in result.machines),
                    "retaps": sum(m.retaps for m in result.machines),
                    "rig_errors": sum(len(m.errors) for m in result.machines)},
        "wall_s": {k: round(v, 1) for k, v in result.wall.items()},
        "wall_per_simulated_day_s": round(result.wall.get("day", 0.0), 1),
        "resources": result.resources,
        "chain": {
            "txs_per_machine_day": round(len(txs) / n, 2),
            "redeems_per_machine_day": round(sum(t["kind"] == "redeem" for t in txs) / n, 2),
            "gas_per_machine_day": round(all_gas / n),
            "redeem_gas_per_machine_day": round(per_day),
            "warm_redeem_gas_median": statistics.median(warm) if warm else None,
            "transfer_gas": result.transfer_gas,
        },
        "redeem_latency_s": {
            "mean": round(statistics.fmean(means), 1) if means else None,
            "worst": None if never else max((w for w in worsts if w is not None), default=0.0),
        },
        "at_risk_eur": {
            "machine_peak_max": max(peaks, default=0) / CREDIT,
            "machine_peak_mean": round(statistics.fmean(peaks) / CREDIT, 2) if peaks else 0,
            "fleet_peak": max(fleet_at_risk, default=0) / CREDIT,
            "fleet_over_day": [[t, v / CREDIT] for t, v in zip(times, fleet_at_risk,
                                                                strict=True)],
        },
        "cost_per_year_eur": {
            "model": cost.to_json(),
            "channels": round(cost.fleet_eur_per_year(per_day)),
            "transfer_per_coffee": round(cost.per_coffee_eur_per_year(result.transfer_gas))
            if result.transfer_gas else None,
        },
        "timeline": result.timeline,
        "channels": [{"machine": m.name, "outcome": m.outcome, "served": m.verdicts["served"],
                      "dark": m.dark, "errors": m.errors[:5],
                      "deposit_eur": o.deposit / CREDIT,
                      "signed_eur": m.exposure.samples[-1].signed / CREDIT
                      if m.exposure.samples else 0.0,
                      "redeemed_eur": m.exposure.samples[-1].redeemed / CREDIT
                      if m.exposure.samples else 0.0,
                      "at_risk_peak_eur": m.exposure.peak / CREDIT,
                      "violations": [v.id for v in m.report.verdicts if v.outcome == "fail"]
                      if m.report else None, "undecided": m.undecided}
                     for m in result.machines],
    }


def render(s: dict[str, Any]) -> str:
    c, ch, lat, risk = s["coffees"], s["chain"], s["redeem_latency_s"], s["at_risk_eur"]
    cost, res = s["cost_per_year_eur"], s["resources"]
    lines = [
        ("" if not s.get("shard") else
         f"shard {s['shard']['shard']} of a {s['shard']['of_machines']}-machine fleet: ")
        + f"fleet of {s['machines']} machines, {s['employees_per_office']} employees each, "
        f"seed {s['seed']}: {s['outcome'].upper()} ({s['message']})",
        f"  policy         redeem at {s['policy']['threshold_eur']:g} EUR or every "
        f"{s['policy']['interval_s']:g} s",
        f"  coffees        {c['wanted']} wanted, {c.get('served', 0)} served, "
        f"{c['machine_dark']} at a dark machine, {c['rig_errors']} rig errors, "
        f"{c['retaps']} taps again after the reader missed the phone; "
        + ", ".join(f"{k} {v}" for k, v in c.items()
                    if k not in ("wanted", "served", "machine_dark", "rig_errors", "retaps")),
        f"  wall           {s['wall_per_simulated_day_s']} s per simulated day "
        f"({s['wall_s']})",
        f"  resources      {res.get('cpu_per_machine_s')} CPU-s and "
        f"{res.get('memory_per_machine_mb')} MB per machine",
        f"  chain          {ch['txs_per_machine_day']} txs, {ch['gas_per_machine_day']} gas per "
        f"machine-day ({ch['redeems_per_machine_day']} redeems, warm redeem "
        f"{ch['warm_redeem_gas_median']} gas; an ERC-20 transfer {ch['transfer_gas']} gas)",
        f"  latency        redeemed {lat['mean']} s after signing on average, worst "
        f"{lat['worst']} s",
        f"  at risk        peak {risk['machine_peak_max']} EUR at one machine "
        f"(mean peak {risk['machine_peak_mean']}), {risk['fleet_peak']} EUR across the fleet",
        f"  cost per year  {cost['channels']} EUR with channels vs "
        f"{cost['transfer_per_coffee']} EUR for a transfer per coffee "
        f"({cost['model']['machines']} machines)",
        f"  replay         {s['replay']}",
    ]
    if not any(ch["outcome"] != "error" for ch in s["channels"]):
        # The day never reached its settling: no chain figures, no cost; say so, not zeros.
        keep = ("fleet of", "  policy", "  coffees", "  replay")
        lines = [line for line in lines if line.startswith(keep)]
        lines.append("  figures        none: the day did not finish (see the message above)")
    for f in s["faults"]:
        lines.append(f"  fault          {f}")
    bad = [ch for ch in s["channels"] if ch["outcome"] != "passed" or ch["errors"]]
    for b in bad[:20]:
        lines.append(f"  {b['machine']}: {b['outcome']} {b['violations'] or ''} "
                     f"{b['undecided'] or ''} {b['errors']}")
    return "\n".join(lines)
