"""The redeem policy's trade-off: what a year of redeems costs against the money at risk.

One fleet run per policy, all from the same seed (the same day, the same customers, the same
faults), so the policies differ only in what the firmware did with them. Each run gives a
point: the fleet's cost per year and the money at risk (each machine's peak of signed but not
yet redeemed, averaged over the fleet). The recommended policy is the cheapest whose
machines' peaks average no more than ``max_at_risk``: the worst machine's peak is set by the
faults (a machine cut off for three hours holds everything it sold meanwhile, whatever the
policy), so it is reported beside, not ruled on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pygal

from rig.fleet.assemble import RedeemPolicy
from rig.fleet.report import render, summarize
from rig.fleet.run import FleetOptions, Observer, run_fleet
from rig.platform.deploy import CREDIT

MAX_AT_RISK_EUR = 10.0     # about 45 coffees: what a machine may typically hold unredeemed


class PolicyError(ValueError):
    """A --policies entry that is not ``THRESHOLD_EUR:INTERVAL_S``."""


def parse_policies(text: str) -> list[RedeemPolicy]:
    """``"1:900,5:3600"`` -> policies (threshold in EUR, interval in seconds)."""
    out = []
    for item in (p.strip() for p in text.split(",") if p.strip()):
        try:
            threshold, interval = (float(x) for x in item.split(":"))
        except ValueError:
            raise PolicyError(f"policy {item!r} is not THRESHOLD_EUR:INTERVAL_S "
                              f"(e.g. 5:3600)") from None
        if threshold <= 0 or interval <= 0:
            raise PolicyError(f"policy {item!r}: threshold and interval must be > 0")
        out.append(RedeemPolicy(round(threshold * CREDIT), interval))
    if not out:
        raise PolicyError(f"no policy in {text!r}; give THRESHOLD_EUR:INTERVAL_S,...")
    return out


@dataclass(frozen=True)
class Point:
    policy: str
    threshold_eur: float
    interval_s: float
    cost_per_year_eur: float
    at_risk_mean_peak_eur: float
    at_risk_max_peak_eur: float
    redeems_per_machine_day: float
    outcome: str

    @classmethod
    def of(cls, summary: dict[str, Any]) -> Point:
        p, risk = summary["policy"], summary["at_risk_eur"]
        return cls(f"{p['threshold_eur']:g} EUR / {p['interval_s']:g} s", p["threshold_eur"],
                   p["interval_s"], summary["cost_per_year_eur"]["channels"],
                   risk["machine_peak_mean"], risk["machine_peak_max"],
                   summary["chain"]["redeems_per_machine_day"], summary["outcome"])


def recommend(points: list[Point], max_at_risk: float = MAX_AT_RISK_EUR) -> Point | None:
    """The cheapest policy that passed and whose machines' peaks at risk average within
    ``max_at_risk``."""
    fit = [p for p in points
           if p.outcome == "passed" and p.at_risk_mean_peak_eur <= max_at_risk]
    return min(fit, key=lambda p: (p.cost_per_year_eur, p.at_risk_mean_peak_eur), default=None)


def chart(points: list[Point], baseline_eur: float | None, machines: int) -> str:
    """An SVG scatter, one point per policy; self-contained (no scripts, no external
    assets), so it opens offline and embeds in a report."""
    c = pygal.XY(stroke=False, js=[], dots_size=6, legend_at_bottom=True,
                 title=f"Redeem policy: cost per year vs money at risk ({machines} machines "
                       "measured, scaled to 10,000)",
                 x_title="money at risk per machine, mean of peaks (EUR)",
                 y_title="fleet cost per year (EUR)")
    for p in points:
        c.add(p.policy, [{"value": (p.at_risk_mean_peak_eur, p.cost_per_year_eur),
                          "label": f"{p.redeems_per_machine_day:g} redeems/machine-day"}])
    if baseline_eur is not None:
        c.add("an ERC-20 transfer per coffee", [(0, baseline_eur)])
    return c.render(is_unicode=True)


def write_chart(path: Path, points: list[Point], baseline_eur: float | None,
                machines: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(chart(points, baseline_eur, machines))
    return path


def sweep(opts: FleetOptions, policies: list[RedeemPolicy], out: Path,
          max_at_risk: float = MAX_AT_RISK_EUR,
          observer: Observer | None = None) -> dict[str, Any]:
    """One fleet run per policy from ``opts`` (same seed), the trade-off and its chart."""
    runs = []
    for i, policy in enumerate(policies):
        print(f"policy {i + 1}/{len(policies)}: {policy.describe()}", flush=True)
        result = run_fleet(replace(opts, policy=policy, workdir=out / f"policy-{i + 1}"),
                           observer)
        runs.append(summarize(result))
        print(render(runs[-1]), flush=True)
    points = [Point.of(s) for s in runs]
    best = recommend(points, max_at_risk)
    baseline = next((s["cost_per_year_eur"]["transfer_per_coffee"] for s in runs
                     if s["cost_per_year_eur"]["transfer_per_coffee"]), None)
    svg = write_chart(out / "tradeoff.svg", points, baseline, opts.machines)
    outcomes = {s["outcome"] for s in runs}
    return {
        "schema": "coffeepay-fleet-tradeoff/1",
        "outcome": "passed" if outcomes == {"passed"} else
        next(o for o in ("violated", "inconclusive", "error") if o in outcomes),
        "seed": opts.seed, "machines": opts.machines,
        "points": [asdict(p) for p in points],
        "baseline_transfer_per_coffee_eur": baseline,
        "recommended": asdict(best) if best else None,
        "rule": f"the cheapest policy whose machines' peaks at risk average within "
                f"{max_at_risk:g} EUR, in a run where every channel reconciled",
        "chart": str(svg), "runs": runs,
    }
