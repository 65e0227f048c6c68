"""INV-7 settlement safety: a close never costs the machine a receipt it could have redeemed.

For each CloseRequested: if the machine was online for at least its sync interval inside the
close window (online.py: from the ``close`` step to the ``settle`` step or to when chain time
passed the close deadline, whichever came first), the highest cumulative it acknowledged
before the close step must have been redeemed before the channel settled (or by the end of
the run, if it never settled; after the deadline the contract refuses every redeem anyway).
Offline through the whole window, it could not: *info*. Without a ``close`` step the window
is unknown and the machine is taken to have been online, and every acknowledged receipt
counts.
"""

from __future__ import annotations

from dataclasses import asdict

from rig.oracle.facts import Facts, arg
from rig.oracle.registry import Finding, Result, invariant


@invariant("INV-7", "settlement safety")
def settlement_safety(f: Facts) -> Result:
    closes = f.named("CloseRequested")
    window = f.window
    cut = window.close.at if window.close is not None else None
    before_close = [a for a in f.acks if cut is None or a.mark.at < cut]
    settled = f.settled
    in_time = f.before(settled) if settled is not None else f.events
    best = max((arg(e, "cumulativeAmount") for e in in_time if e.name == "Redeemed"),
               default=0)
    findings = []
    for close in closes:
        if not before_close:
            continue
        latest = max(before_close, key=lambda a: a.cumulative)
        if best >= latest.cumulative:
            continue
        could = window.machine_could_act
        end = ("the channel settled" if settled is not None
               else "the close deadline passed" if window.deadline is not None
               else "the end of the run")
        findings.append(Finding(
            "fail" if could else "info",
            f"the machine acknowledged cumulative {latest.cumulative} before the close but only "
            f"{best} was redeemed before {end}"
            + ("" if could else "; it completed no sync round begun after the close was on "
                                "chain while online in the window")
            + (f" ({window.deadline.describe()})"
               if window.deadline is not None and window.ended_by == "deadline" else ""),
            {"acknowledged": [latest.evidence()],
             "events": [asdict(close)] + ([asdict(settled)] if settled else []),
             "redeemed": [asdict(e) for e in f.redeemed],
             "close_window": [window.to_json()]},
            at=cut if cut is not None else latest.mark.at,
            severity=latest.cumulative - best))
    return Result(findings, f"{len(closes)} close request(s); redeemed {best} before "
                            f"{'settlement' if settled else 'the end'}")
