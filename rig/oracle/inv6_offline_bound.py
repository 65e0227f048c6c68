"""INV-6 offline bound: every cumulative the machine acknowledged is within the deposit D.

The machine sells offline against the deposit it last saw on-chain; acknowledging more than
was ever deposited is a receipt the contract must refuse (ExceedsDeposit): unpaid coffee.
"""

from __future__ import annotations

from dataclasses import asdict

from rig.oracle.facts import Facts
from rig.oracle.registry import Finding, Result, invariant


@invariant("INV-6", "offline bound")
def offline_bound(f: Facts) -> Result:
    deposit = f.ledger.deposit
    funding = [asdict(e) for e in f.events if e.name in ("ChannelOpened", "ToppedUp")]
    findings = [
        Finding("fail", f"the machine acknowledged cumulative {a.cumulative} (sequence "
                        f"{a.sequence}, {a.how}), above the {deposit} ever deposited",
                {"acknowledged": [a.evidence()], "deposits": funding},
                at=a.mark.at, severity=a.cumulative - deposit)
        for a in f.acks if a.cumulative > deposit]
    return Result(findings, f"{len(f.acks)} acknowledged receipts within D = {deposit}")
