"""INV-3 exactly-once coffee: P = value(B) + C, with C ≥ 0, C from ground truth.

C is what the customer paid minus what the board dispensed (owed.py), never the firmware's
own books: a firmware that reports more credit than that would otherwise balance the
equation over an overcharge. The firmware's report is cross-checked instead:

- P above every receipt the machine held (the acknowledged ones, or one a cut tap may have
  made durable) is an overcharge: always a fail;
- P below the acknowledged money is *unpaid*: info under the INV-2 exemption, else a fail;
- more dispensed than paid (C < 0 even at its most) is free coffee: a fail;
- the firmware reporting less credit than C keeps money for coffee it will never give (an
  overcharge), more than C allows (``C_max``) owes credit nobody paid for: both fail.
"""

from __future__ import annotations

from dataclasses import asdict

from rig.oracle.facts import Facts
from rig.oracle.registry import Finding, Result, invariant


@invariant("INV-3", "exactly-once coffee",
           reads=frozenset({"signed", "dispensed"}))
def exactly_once(f: Facts) -> Result:
    owed, led = f.owed, f.ledger
    numbers = [{"P": led.redeemed, "value(B)": led.dispensed_value, "C": owed.credits,
                "C_max": owed.credits_max, "reported": owed.reported,
                "dispensed": led.dispensed}]
    evidence = {"ledger": numbers, "owed": [owed.evidence()],
                "redeemed": [asdict(e) for e in f.redeemed],
                "dispenses": [f.dispense_evidence(d) for d in f.dispensed]}
    last = f.dispensed[-1].started_at if f.dispensed else None
    findings = []
    if owed.overcharged:
        findings.append(Finding(
            "fail",
            f"overcharge: redeemed {owed.redeemed}, but the machine held receipts for at most "
            f"{owed.ceiling} ({owed.acknowledged_max} acknowledged)", evidence, at=last,
            severity=owed.overcharged))
    elif owed.redeemed < owed.acknowledged_max:
        exempt = f.closed_offline
        findings.append(Finding(
            "info" if exempt else "fail",
            f"unpaid: redeemed {owed.redeemed}, but {owed.acknowledged_max} was acknowledged "
            f"({owed.dispensed_value} dispensed + {owed.credits} owed as credit)"
            + (f"; {f.exemption_reason()}" if exempt else ""),
            evidence | (f.exemption_evidence() if exempt else {}), at=last,
            severity=owed.acknowledged_max - owed.redeemed))
    if owed.credits_max < 0:
        findings.append(Finding(
            "fail", f"free coffee: {owed.dispensed_value} dispensed, but only "
                    f"{max(owed.paid, owed.ceiling)} paid", evidence, at=last,
            severity=-owed.credits_max))
    if owed.reported < max(owed.credits, 0):
        findings.append(Finding(
            "fail",
            f"overcharge: the firmware reports {owed.reported} credits, but it owes "
            f"{owed.credits} (paid {owed.paid} - dispensed {owed.dispensed_value})"
            + (" (negative credits)" if owed.reported < 0 else ""), evidence, at=last,
            severity=max(owed.credits, 0) - owed.reported))
    elif owed.reported > max(owed.credits_max, 0):
        findings.append(Finding(
            "fail",
            f"the firmware reports {owed.reported} credits, more than anything paid for: it "
            f"owes at most {max(owed.credits_max, 0)} (paid at most "
            f"{max(owed.paid, owed.ceiling)} - dispensed {owed.dispensed_value})",
            evidence, at=last, severity=owed.reported - max(owed.credits_max, 0)))
    return Result(findings, f"P = value(B) + C = {owed.dispensed_value} + {owed.credits}"
                            f"; firmware reports C = {owed.reported}")
