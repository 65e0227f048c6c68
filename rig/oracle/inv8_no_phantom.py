"""INV-8 no phantom: every Redeemed (sequence, cumulativeAmount, signer) is a receipt a phone
signed. Anything else was paid on a signature no phone in the rig made."""

from __future__ import annotations

from dataclasses import asdict

from rig.oracle.facts import Facts, arg
from rig.oracle.registry import Finding, Result, invariant


@invariant("INV-8", "no phantom",
           reads=frozenset({"signed"}))
def no_phantom(f: Facts) -> Result:
    signed = {(s.sequence, s.cumulative, s.phone.lower()) for s in f.signed}
    findings = []
    for e in f.redeemed:
        seq, cum, signer = arg(e, "sequence"), arg(e, "cumulativeAmount"), arg(e, "signer")
        if (seq, cum, str(signer).lower()) in signed:
            continue
        same_seq = [asdict(s) for s in f.signed if s.sequence == seq]
        findings.append(Finding(
            "fail", f"Redeemed sequence {seq} cumulative {cum} signed by {signer} (block "
                    f"{e.block}) matches no receipt a phone signed",
            {"redeemed": [asdict(e)], "receipts_with_that_sequence": same_seq},
            at=f.tx_moment(e.tx), severity=arg(e, "amount") or 1))
    return Result(findings, f"{len(f.redeemed)} Redeemed events, each a signed receipt")
