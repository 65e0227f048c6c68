"""A finished fleet run's record (``fleet.json``) as a picture for the live page."""

from __future__ import annotations

from typing import Any


class RecordError(ValueError):
    """The file is not a fleet record the page can show."""


def record_view(summary: dict[str, Any], source: str) -> dict[str, Any]:
    if summary.get("schema") != "coffeepay-fleet/1":
        raise RecordError(f"{source}: not a fleet record (schema {summary.get('schema')!r}, "
                          "expected 'coffeepay-fleet/1'); give the fleet.json a `rig fleet` "
                          "run wrote")
    machines = [{"name": c["machine"], "powered": True, "online": True, "checkpoint": "",
                 "deposit_eur": c.get("deposit_eur"), "signed_eur": c.get("signed_eur"),
                 "redeemed_eur": c.get("redeemed_eur"),
                 "owed_eur": (c.get("signed_eur") or 0) - (c.get("redeemed_eur") or 0),
                 "served": c.get("served"), "outcome": c["outcome"]}
                for c in summary.get("channels", [])]
    return {"title": f"fleet of {summary['machines']} machines, seed {summary['seed']} "
                     f"(finished run: {source})",
            "phase": "finished", "clock": "", "machines": machines,
            "timeline": summary.get("timeline", []),
            "verdicts": {"outcome": summary["outcome"], "message": summary.get("message", "")}}
