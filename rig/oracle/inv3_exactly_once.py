"""INV-3 exactly-once coffee: P = value(B) + C, with C ≥ 0.

What the payee received equals the coffees dispensed plus the credits the machine still owes
(paid, not dispensed). P above that is an overcharge, always a fail; P below it means
acknowledged money never reached the chain, *info* under the same exemption as INV-2.
"""

from __future__ import annotations

from dataclasses import asdict

from rig.oracle.facts import Facts
from rig.oracle.registry import Finding, Result, invariant


@invariant("INV-3", "exactly-once coffee")
def exactly_once(f: Facts) -> Result:
    led = f.ledger
    owed = led.dispensed_value + led.credits
    numbers = [{"P": led.redeemed, "value(B)": led.dispensed_value, "C": led.credits,
                "dispensed": led.dispensed}]
    evidence = {"ledger": numbers, "redeemed": [asdict(e) for e in f.redeemed],
                "dispenses": [f.dispense_evidence(d) for d in f.dispensed]}
    last = f.dispensed[-1].started_at if f.dispensed else None
    findings = []
    if led.credits < 0:
        findings.append(Finding("fail", f"the machine reports negative credits ({led.credits})",
                                {"ledger": numbers}, severity=-led.credits))
    if led.redeemed > owed:
        findings.append(Finding(
            "fail",
            f"overcharge: redeemed {led.redeemed} for {led.dispensed_value} dispensed "
            f"+ {led.credits} credits owed", evidence, at=last, severity=led.redeemed - owed))
    elif led.redeemed < owed:
        exempt = f.closed_offline
        findings.append(Finding(
            "info" if exempt else "fail",
            f"unpaid: redeemed {led.redeemed}, but {led.dispensed_value} was dispensed and "
            f"{led.credits} is owed as credit"
            + (f"; {f.exemption_reason()}" if exempt else ""),
            evidence | (f.exemption_evidence() if exempt else {}), at=last,
            severity=owed - led.redeemed))
    return Result(findings, f"P = value(B) + C = {led.dispensed_value} + {led.credits}")
