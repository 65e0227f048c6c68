"""INV-1 no free coffee: every dispense was paid for by a receipt signed before it began.

Dispenses in order of start; for the k-th, the prices of dispenses 1..k must sum to at most
the highest cumulative of any receipt a phone signed before its start (``signed_at <
started_at``). A coffee paid with a credit is covered too: the credit is money an earlier
receipt already signed for, so the running total stays within it.
"""

from __future__ import annotations

from dataclasses import asdict

from rig.history import Signed
from rig.oracle.facts import Facts
from rig.oracle.registry import Finding, Result, invariant


@invariant("INV-1", "no free coffee",
           reads=frozenset({"signed", "dispensed"}))
def no_free_coffee(f: Facts) -> Result:
    findings = []
    total = 0
    covering: Signed | None = None
    signed = iter(f.signed)
    pending = next(signed, None)
    for d in f.dispensed:
        while pending is not None and pending.signed_at < d.started_at:
            if covering is None or pending.cumulative > covering.cumulative:
                covering = pending
            pending = next(signed, None)
        total += f.price(d)
        covered = covering.cumulative if covering else 0
        if total <= covered:
            continue
        findings.append(Finding(
            "fail",
            f"brew {d.brew_id} (product {d.product}) took the dispensed value to {total}, but "
            f"the receipts signed before it began covered only {covered}",
            {"dispenses": [f.dispense_evidence(d)],
             "receipts": [asdict(covering)] if covering else [],
             "marks": [asdict(m) for m in f.history.marks
                       if m.name == "brew-started" and m.data.get("brew_id") == d.brew_id]},
            at=d.started_at, severity=total - covered))
    return Result(findings, f"{len(f.dispensed)} dispenses, each within the receipts signed "
                            "before it began")
