"""INV-2 no lost receipt: P ≥ max(A), and P ≤ max(S).

Every receipt the machine acknowledged is paid in the end, and nothing beyond what a phone
signed ever is. The first half is *info*, not fail, when after a close the channel was
settled, or chain time passed the close deadline, while the machine was offline for the
whole window (facts.closed_offline): it could not have redeemed. Paying more than was signed
is never excused.
"""

from __future__ import annotations

from dataclasses import asdict

from rig.oracle.facts import Facts
from rig.oracle.registry import Finding, Result, invariant


@invariant("INV-2", "no lost receipt",
           reads=frozenset({"signed"}))
def no_lost_receipt(f: Facts) -> Result:
    led = f.ledger
    findings = []
    redeemed = [asdict(e) for e in f.redeemed]
    if led.redeemed < led.acknowledged_max:
        unpaid = [a for a in f.acks if a.cumulative > led.redeemed]
        exempt = f.closed_offline
        evidence = {"acknowledged": [a.evidence() for a in unpaid], "redeemed": redeemed}
        if exempt:
            evidence |= f.exemption_evidence()
        findings.append(Finding(
            "info" if exempt else "fail",
            f"redeemed {led.redeemed} but the machine acknowledged receipts up to "
            f"{led.acknowledged_max} ({len(unpaid)} acknowledged receipt(s) never paid)"
            + (f"; {f.exemption_reason()}" if exempt else ""),
            evidence, at=unpaid[0].mark.at, severity=led.acknowledged_max - led.redeemed))
    if led.redeemed > led.signed_max:
        top = [asdict(s) for s in f.signed if s.cumulative == led.signed_max]
        findings.append(Finding(
            "fail",
            f"redeemed {led.redeemed}, more than the {led.signed_max} any phone signed",
            {"redeemed": redeemed, "receipts": top},
            at=None, severity=led.redeemed - led.signed_max))
    return Result(findings, f"P = {led.redeemed}, max(A) = {led.acknowledged_max}, "
                            f"max(S) = {led.signed_max}")
