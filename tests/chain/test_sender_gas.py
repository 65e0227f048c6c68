"""The rig's own transactions carry enough gas for the state they land in, not only for the
state they were estimated on: a machine's redeem can land in between."""

from __future__ import annotations

from rig.platform import Platform
from rig.platform.channels import open_channel, signed
from rig.platform.deploy import CREDIT


def test_a_top_up_estimated_before_a_redeem_emptied_the_provider_still_lands(
        platform: Platform) -> None:
    """The customer's top-up is estimated while the provider holds the deposit; the machine's
    redeem of the whole deposit lands first, so the top-up's transfer now writes a balance
    slot from zero (20,000 gas instead of 2,900), more than a 25 % margin covers."""
    p, a = platform, platform.actors
    deposit = 10 * CREDIT
    cid = open_channel(p, deposit)
    assert p.balance(p.payments.address) == deposit   # the only channel on this provider
    p.tx(a.customer, p.token.functions.approve(p.payments.address, deposit))
    top_up = p.sender.build(a.customer, p.payments.functions.topUp(cid, deposit))
    p.tx(a.machine, p.payments.functions.redeem(cid, deposit, 1,
                                                signed(p, a.customer, cid, deposit, 1)))
    assert p.balance(p.payments.address) == 0
    receipt = p.chain.wait(p.chain.send_raw(p.sender.sign(a.customer, top_up)))
    assert receipt["status"] == 1, f"top-up ran out of gas: limit {top_up['gas']}, " \
                                   f"used {receipt['gasUsed']}"
    assert p.balance(p.payments.address) == deposit
