"""Receivers that refuse payment (a BlacklistToken freezing an account): the payout is kept
for them to withdraw, the channel settles anyway and nobody else's funds are touched."""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

import pytest

from rig.chain.node import Chain
from rig.platform import Platform
from rig.platform.channels import ChannelState, channel_state, open_channel, signed
from rig.platform.deploy import CREDIT, Role
from tests.contracts.support import (
    assert_event,
    close_deadline,
    deploy_with_token,
    events,
    mined,
    reverts,
)

DEPOSIT = 50 * CREDIT


class Block(IntEnum):
    """Mirror of BlacklistToken.Block."""

    NONE = 0
    REVERT = 1
    RETURN_FALSE = 2


# What withdraw reverts with while the receiver is still blocked.
STILL_BLOCKED = {Block.REVERT: "ReceiverBlocked", Block.RETURN_FALSE: "SafeERC20FailedOperation"}


@pytest.fixture(scope="module")
def blacklist_platform(platform_session: Platform, chain: Chain) -> Iterator[Platform]:
    with chain.isolated():
        p = deploy_with_token(chain, "BlacklistToken", platform_session.artifacts)
        # a second customer with its own channel, to show it is unaffected
        other = p.actors.employees[1]
        p.tx(p.actors.admin, p.identity.functions.onboard(other.address, Role.Customer))
        p.tx(p.actors.admin, p.token.functions.mint(other.address, 1_000 * CREDIT))
        yield p


@pytest.fixture
def bp(blacklist_platform: Platform, chain: Chain) -> Iterator[Platform]:
    with chain.isolated():
        yield blacklist_platform


def _block(p: Platform, who: str, mode: Block) -> None:
    p.tx(p.actors.admin, p.token.functions.setBlocked(who, mode))


def _settle_after_close(p: Platform, cid: bytes, by=None):
    deadline = close_deadline(p, p.tx(by or p.actors.customer,
                                      p.payments.functions.requestClose(cid)))
    return mined(p, p.actors.stranger, p.payments.functions.settle(cid), at=deadline + 1)


@pytest.mark.parametrize("mode", [Block.REVERT, Block.RETURN_FALSE])
@pytest.mark.needs("next_timestamp", "snapshot", "trace")
def test_settle_succeeds_when_the_customer_refuses_the_refund(bp: Platform, mode: Block):
    p, a = bp, bp.actors
    f = p.payments.functions
    other = a.employees[1]
    cid = open_channel(p, DEPOSIT)
    theirs = open_channel(p, DEPOSIT, customer=other)
    p.tx(a.machine, f.redeem(cid, 5 * CREDIT, 1, signed(p, a.customer, cid, 5 * CREDIT, 1)))
    _block(p, a.customer.address, mode)
    before = p.balance(a.customer.address)

    out = _settle_after_close(p, cid)
    assert out.ok, out
    assert_event(p.payments, "Settled", out.receipt, paid=5 * CREDIT,
                 refunded=DEPOSIT - 5 * CREDIT)
    assert_event(p.payments, "PayoutDeferred", out.receipt, to=a.customer.address,
                 amount=DEPOSIT - 5 * CREDIT)
    assert channel_state(p, cid).status == ChannelState.SETTLED
    assert p.balance(a.customer.address) == before
    assert f.withdrawable(a.customer.address).call() == DEPOSIT - 5 * CREDIT
    assert p.balance(p.payments.address) == (DEPOSIT - 5 * CREDIT) + DEPOSIT

    # the other customer's channel works as if nothing happened
    p.tx(a.machine, f.redeem(theirs, 8 * CREDIT, 1, signed(p, other, theirs, 8 * CREDIT, 1)))
    other_before = p.balance(other.address)
    out = _settle_after_close(p, theirs, by=other)
    assert events(p.payments, "PayoutDeferred", out.receipt) == []
    assert p.balance(other.address) == other_before + DEPOSIT - 8 * CREDIT
    assert p.balance(a.payee.address) == 13 * CREDIT

    # the frozen refund waits, then is withdrawn exactly once
    with reverts(STILL_BLOCKED[mode]):
        p.tx(a.customer, f.withdraw())
    assert f.withdrawable(a.customer.address).call() == DEPOSIT - 5 * CREDIT
    _block(p, a.customer.address, Block.NONE)
    r = p.tx(a.customer, f.withdraw())
    assert_event(p.payments, "Withdrawn", r, to=a.customer.address, amount=DEPOSIT - 5 * CREDIT)
    assert p.balance(a.customer.address) == before + DEPOSIT - 5 * CREDIT
    with reverts("NothingToWithdraw", a.customer.address):
        p.tx(a.customer, f.withdraw())
    assert p.balance(p.payments.address) == 0


@pytest.mark.parametrize("mode", [Block.REVERT, Block.RETURN_FALSE])
@pytest.mark.needs("next_timestamp", "snapshot", "trace")
def test_redeem_succeeds_when_the_payee_refuses_payment(bp: Platform, mode: Block):
    p, a = bp, bp.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    _block(p, a.payee.address, mode)
    r = p.tx(a.machine, f.redeem(cid, 3 * CREDIT, 1, signed(p, a.customer, cid, 3 * CREDIT, 1)))
    assert_event(p.payments, "Redeemed", r, amount=3 * CREDIT)
    assert_event(p.payments, "PayoutDeferred", r, to=a.payee.address, amount=3 * CREDIT)
    r = p.tx(a.machine, f.redeem(cid, 7 * CREDIT, 2, signed(p, a.customer, cid, 7 * CREDIT, 2)))
    assert_event(p.payments, "PayoutDeferred", r, to=a.payee.address, amount=4 * CREDIT)
    st = channel_state(p, cid)
    assert (st.redeemed, st.sequence) == (7 * CREDIT, 2)
    assert f.withdrawable(a.payee.address).call() == 7 * CREDIT
    assert p.balance(a.payee.address) == 0
    # the customer's close is not held up by the frozen payee
    before = p.balance(a.customer.address)
    out = _settle_after_close(p, cid)
    assert_event(p.payments, "Settled", out.receipt, paid=7 * CREDIT,
                 refunded=DEPOSIT - 7 * CREDIT)
    assert p.balance(a.customer.address) == before + DEPOSIT - 7 * CREDIT
    _block(p, a.payee.address, Block.NONE)
    p.tx(a.payee, f.withdraw())
    assert p.balance(a.payee.address) == 7 * CREDIT
    assert p.balance(p.payments.address) == 0


@pytest.mark.needs("snapshot")
def test_cooperative_close_with_both_sides_frozen_defers_both(bp: Platform):
    p, a = bp, bp.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    _block(p, a.payee.address, Block.REVERT)
    _block(p, a.customer.address, Block.RETURN_FALSE)
    r = p.tx(a.machine, f.cooperativeClose(cid, 9 * CREDIT, 4,
                                           signed(p, a.customer, cid, 9 * CREDIT, 4)))
    deferred = {(e["to"], e["amount"]) for e in events(p.payments, "PayoutDeferred", r)}
    assert deferred == {(a.payee.address, 9 * CREDIT), (a.customer.address, DEPOSIT - 9 * CREDIT)}
    assert channel_state(p, cid).status == ChannelState.SETTLED
    assert p.balance(p.payments.address) == DEPOSIT
    assert (f.withdrawable(a.payee.address).call() + f.withdrawable(a.customer.address).call()
            == DEPOSIT)
