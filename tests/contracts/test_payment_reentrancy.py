"""Reentrancy: a HookToken hands control to a ReentrantWallet in the middle of every payout;
the wallet (a payee or a customer) calls back into the PaymentProvider. Nothing may be paid
twice: either the guard trips or the state was already updated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3.contract import Contract

from rig.chain.node import Chain
from rig.platform import Platform
from rig.platform.channels import ChannelState, channel_state, open_channel, signed
from rig.platform.deploy import CREDIT, Role
from tests.contracts.support import (
    close_deadline,
    decode_channel,
    deploy_contract,
    deploy_with_token,
    events,
    mined,
    only_event,
)

DEPOSIT = 50 * CREDIT
GUARD = ("ReentrancyGuardReentrantCall", ())


@pytest.fixture(scope="module")
def hook_platform(platform_session: Platform, chain: Chain) -> Iterator[Platform]:
    """The platform on a HookToken, deployed once for the module and undone after it."""
    with chain.isolated():
        yield deploy_with_token(chain, "HookToken", platform_session.artifacts)


@pytest.fixture
def hp(hook_platform: Platform, chain: Chain) -> Iterator[Platform]:
    with chain.isolated():
        yield hook_platform


def _wallet(p: Platform) -> Contract:
    """A ReentrantWallet owned by the stranger, registered for token callbacks."""
    wallet = deploy_contract(p, "ReentrantWallet", deployer=p.actors.stranger)
    _as_wallet(p, wallet, p.token, "setHook", True)
    return wallet


def _as_wallet(p: Platform, wallet: Contract, target: Contract, fn: str, *args):
    data = bytes.fromhex(target.encode_abi(fn, list(args))[2:])
    return p.tx(p.actors.stranger, wallet.functions.execute(target.address, data))


def _arm(p: Platform, wallet: Contract, fn: str, *args) -> None:
    data = bytes.fromhex(p.payments.encode_abi(fn, list(args))[2:])
    p.tx(p.actors.stranger, wallet.functions.arm(p.payments.address, data))


def _reentry(p: Platform, wallet: Contract, receipt) -> tuple[bool, bytes]:
    ev = only_event(wallet, "ReentryAttempted", receipt)
    assert ev["target"] == p.payments.address
    return ev["ok"], bytes(ev["returned"])


def _wallet_is_payee(p: Platform, wallet: Contract) -> bytes:
    """A second machine whose payee is the wallet, and a channel to it."""
    m2 = p.actors.employees[2].address
    p.tx(p.actors.manufacturer, p.identity.functions.registerMachine(m2, wallet.address))
    return open_channel(p, DEPOSIT, machine=m2)


def _wallet_is_customer(p: Platform, wallet: Contract, delegate: str) -> bytes:
    a = p.actors
    p.tx(a.admin, p.identity.functions.onboard(wallet.address, Role.Customer))
    p.tx(a.admin, p.token.functions.mint(wallet.address, DEPOSIT))
    _as_wallet(p, wallet, p.token, "approve", p.payments.address, DEPOSIT)
    r = _as_wallet(p, wallet, p.payments, "open", a.machine.address, DEPOSIT, [delegate])
    return bytes(only_event(p.payments, "ChannelOpened", r)["channelId"])


@pytest.mark.parametrize("armed", ["same receipt", "newer receipt"])
@pytest.mark.needs("snapshot")
def test_payee_reentering_redeem_is_stopped_by_the_guard(hp: Platform, armed: str):
    p, a = hp, hp.actors
    wallet = _wallet(p)
    cid = _wallet_is_payee(p, wallet)
    sig = signed(p, a.customer, cid, 5 * CREDIT, 1)
    if armed == "same receipt":
        _arm(p, wallet, "redeem", cid, 5 * CREDIT, 1, sig)
    else:  # even a genuinely newer receipt must wait for the outer call to finish
        _arm(p, wallet, "redeem", cid, 9 * CREDIT, 2, signed(p, a.customer, cid, 9 * CREDIT, 2))
    r = p.tx(a.stranger, p.payments.functions.redeem(cid, 5 * CREDIT, 1, sig))
    ok, returned = _reentry(p, wallet, r)
    assert not ok
    assert p.sender.decode(returned) == GUARD
    assert len(events(p.payments, "Redeemed", r)) == 1
    assert p.balance(wallet.address) == 5 * CREDIT
    st = channel_state(p, cid)
    assert (st.sequence, st.deposit, st.redeemed) == (1, DEPOSIT, 5 * CREDIT)


@pytest.mark.needs("snapshot")
def test_channel_is_already_updated_when_the_payee_gets_control(hp: Platform):
    p, a = hp, hp.actors
    wallet = _wallet(p)
    cid = _wallet_is_payee(p, wallet)
    _arm(p, wallet, "channel", cid)
    r = p.tx(a.stranger, p.payments.functions.redeem(
        cid, 5 * CREDIT, 3, signed(p, a.customer, cid, 5 * CREDIT, 3)))
    ok, returned = _reentry(p, wallet, r)
    assert ok
    seen = decode_channel(p, returned)
    assert (seen.sequence, seen.redeemed) == (3, 5 * CREDIT)  # updated before the payout


@pytest.mark.parametrize(("armed", "expected"), [
    ("settle", GUARD),
    ("topUp", GUARD),
    ("cooperativeClose", GUARD),
    ("requestClose", ("ChannelNotOpen", None)),  # unguarded: the channel is already settled
])
@pytest.mark.needs("next_timestamp", "snapshot", "trace")
def test_customer_reentering_during_the_refund_cannot_get_paid_twice(
        hp: Platform, armed: str, expected: tuple):
    p, a = hp, hp.actors
    f = p.payments.functions
    phone = a.employees[0]
    wallet = _wallet(p)
    cid = _wallet_is_customer(p, wallet, phone.address)
    p.tx(a.machine, f.redeem(cid, 5 * CREDIT, 1, signed(p, phone, cid, 5 * CREDIT, 1)))
    deadline = close_deadline(p, _as_wallet(p, wallet, p.payments, "requestClose", cid))
    args = {"settle": [cid], "topUp": [cid, 1], "requestClose": [cid],
            "cooperativeClose": [cid, 5 * CREDIT, 1, b""]}[armed]
    _arm(p, wallet, armed, *args)
    out = mined(p, a.stranger, f.settle(cid), at=deadline + 1)
    assert out.ok, out
    ok, returned = _reentry(p, wallet, out.receipt)
    assert not ok
    name, got = p.sender.decode(returned)
    if expected[1] is None:
        assert (name, got) == (expected[0], (cid, ChannelState.SETTLED))
    else:
        assert (name, got) == expected
    assert len(events(p.payments, "Settled", out.receipt)) == 1
    assert p.balance(wallet.address) == DEPOSIT - 5 * CREDIT
    assert p.balance(p.payments.address) == 0


@pytest.mark.needs("snapshot")
def test_reentering_withdraw_cannot_double_pay(hp: Platform):
    p, a = hp, hp.actors
    f = p.payments.functions
    wallet = _wallet(p)
    cid = _wallet_is_payee(p, wallet)
    p.tx(a.stranger, wallet.functions.setRefuse(True))
    r = p.tx(a.stranger, f.redeem(cid, 7 * CREDIT, 1, signed(p, a.customer, cid, 7 * CREDIT, 1)))
    deferred = only_event(p.payments, "PayoutDeferred", r)
    assert (deferred["to"], deferred["amount"]) == (wallet.address, 7 * CREDIT)
    assert f.withdrawable(wallet.address).call() == 7 * CREDIT
    p.tx(a.stranger, wallet.functions.setRefuse(False))
    _arm(p, wallet, "withdraw")
    r = _as_wallet(p, wallet, p.payments, "withdraw")
    ok, returned = _reentry(p, wallet, r)
    assert not ok
    assert p.sender.decode(returned) == GUARD
    assert len(events(p.payments, "Withdrawn", r)) == 1
    assert p.balance(wallet.address) == 7 * CREDIT
    assert f.withdrawable(wallet.address).call() == 0
    assert p.balance(p.payments.address) == DEPOSIT - 7 * CREDIT
