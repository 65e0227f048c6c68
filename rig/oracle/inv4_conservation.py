"""INV-4 conservation: D = P + R + L with L ≥ 0; token supply unchanged; the contract holds
at least what is still locked here plus the payouts deferred to ``withdraw``.

L is D - P - R, so the equation is checked against independent records: the Redeemed
amounts must add up to the last redeemed cumulative, a Settled event must pay out everything
(L = 0, its paid = P, its refund = D - P), and the final channel struct (when collected) must
show the same deposit and redeemed total as the events.
"""

from __future__ import annotations

from dataclasses import asdict

from rig.oracle.errors import HistoryError
from rig.oracle.facts import Facts, arg
from rig.oracle.registry import Finding, Result, invariant

SETTLED = 3


@invariant("INV-4", "conservation")
def conservation(f: Facts) -> Result:
    h, led = f.history, f.ledger
    findings: list[Finding] = []

    def fail(message: str, evidence: dict, severity: float) -> None:
        findings.append(Finding("fail", message, evidence, severity=abs(severity) or 1))

    money = {"events": [asdict(e) for e in f.events]}
    if led.locked < 0:
        fail(f"paid out more than deposited: D {led.deposit} < P {led.redeemed} + R "
             f"{led.refunded}", money, led.locked)
    last = arg(f.redeemed[-1], "cumulativeAmount") if f.redeemed else 0
    if last != led.redeemed:
        fail(f"the Redeemed amounts add up to {led.redeemed}, but the last redeemed "
             f"cumulative is {last}", {"redeemed": [asdict(e) for e in f.redeemed]},
             last - led.redeemed)
    settled = f.settled
    if settled is not None:
        paid, refunded = arg(settled, "paid"), arg(settled, "refunded")
        if led.locked != 0 or paid != led.redeemed or refunded != led.deposit - led.redeemed:
            fail(f"settled with paid {paid} and refund {refunded}, but D {led.deposit} and "
                 f"P {led.redeemed} leave L {led.locked} locked", money, led.locked or 1)
    ch = h.channel
    if ch:
        missing = [k for k in ("status", "deposit", "redeemed") if k not in ch]
        if missing:
            raise HistoryError(f"History.channel lacks {missing}; it has {sorted(ch)}")
        chain_locked = 0 if ch["status"] == SETTLED else ch["deposit"] - ch["redeemed"]
        if (ch["deposit"], ch["redeemed"], chain_locked) != (led.deposit, led.redeemed,
                                                             led.locked):
            fail(f"the channel on-chain shows deposit {ch['deposit']}, redeemed "
                 f"{ch['redeemed']}, locked {chain_locked}; its events say D {led.deposit}, "
                 f"P {led.redeemed}, L {led.locked}",
                 {"channel": [ch], **money}, led.locked - chain_locked)
    if h.token_supply_after != h.token_supply_before:
        fail(f"token supply changed from {h.token_supply_before} to {h.token_supply_after}",
             {"supply": [{"before": h.token_supply_before, "after": h.token_supply_after}]},
             h.token_supply_after - h.token_supply_before)
    if h.contract_balance < led.locked + h.withdrawable:
        fail(f"the PaymentProvider holds {h.contract_balance}, less than L {led.locked} + "
             f"withdrawable {h.withdrawable}",
             {"balances": [{"contract_balance": h.contract_balance, "locked": led.locked,
                            "withdrawable": h.withdrawable}]},
             led.locked + h.withdrawable - h.contract_balance)
    return Result(findings, f"D {led.deposit} = P {led.redeemed} + R {led.refunded} + "
                            f"L {led.locked}; supply {h.token_supply_after} unchanged")
