"""PaymentProvider, function by function: each success path with its events and state, and
each revert with its custom error."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import keccak

from rig.platform import Platform
from rig.platform.channels import ChannelState, channel_state, open_channel, signed
from rig.platform.deploy import CREDIT, Role
from rig.platform.receipts import Domain, receipt_message
from tests.contracts.support import (
    assert_event,
    close_deadline,
    deploy_contract,
    deposit_limit,
    events,
    mined,
    only_event,
    reverts,
)

ZERO = "0x" + "00" * 20
DEPOSIT = 50 * CREDIT


def _open(p: Platform, deposit: int = DEPOSIT, delegates: list[str] | None = None) -> bytes:
    return open_channel(p, deposit, delegates)


def _close(p: Platform, cid: bytes) -> int:
    return close_deadline(p, p.tx(p.actors.customer, p.payments.functions.requestClose(cid)))


# ----------------------------------------------------------------------- administration

def test_admin_sets_and_unsets_an_opener(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    r = p.tx(a.second_admin, f.setOpener(a.stranger.address, True))
    assert_event(p.payments, "OpenerSet", r, opener=a.stranger.address, allowed=True)
    assert f.isOpener(a.stranger.address).call()
    r = p.tx(a.admin, f.setOpener(a.stranger.address, False))
    assert_event(p.payments, "OpenerSet", r, opener=a.stranger.address, allowed=False)
    assert not f.isOpener(a.stranger.address).call()


def test_only_an_admin_sets_openers(platform: Platform):
    p, a = platform, platform.actors
    for who in (a.stranger, a.customer, a.manufacturer, a.machine):
        with reverts("MissingRole", who.address, Role.Admin):
            p.tx(who, p.payments.functions.setOpener(who.address, True))


def test_constructor_refuses_zero_addresses(platform: Platform):
    p = platform
    with reverts("ZeroAddress"):
        deploy_contract(p, "PaymentProvider", ZERO, p.identity.address, 3600)
    with reverts("ZeroAddress"):
        deploy_contract(p, "PaymentProvider", p.token.address, ZERO, 3600)


# ----------------------------------------------------------------------- opening

def test_open_locks_the_deposit_and_authorises_delegates(platform: Platform):
    p, a = platform, platform.actors
    staff = [e.address for e in a.employees]
    before = p.balance(a.customer.address)
    p.tx(a.customer, p.token.functions.approve(p.payments.address, DEPOSIT))
    r = p.tx(a.customer, p.payments.functions.open(a.machine.address, DEPOSIT, staff))
    opened = only_event(p.payments, "ChannelOpened", r)
    cid = bytes(opened["channelId"])
    assert cid == keccak(encode(["uint256", "address", "address", "address", "uint256"],
                                [p.chain.chain_id, p.payments.address, a.customer.address,
                                 a.machine.address, 1]))
    assert_event(p.payments, "ChannelOpened", r, customer=a.customer.address,
                 machine=a.machine.address, payee=a.payee.address, deposit=DEPOSIT,
                 opener=a.customer.address)
    assert [(bytes(e["channelId"]), e["signer"]) for e in
            events(p.payments, "SignerAuthorized", r)] == [(cid, s) for s in staff]
    assert all(p.payments.functions.isDelegate(cid, s).call() for s in staff)
    assert channel_state(p, cid) == ChannelState(
        customer=a.customer.address, status=ChannelState.OPEN, close_deadline=0,
        deposit=DEPOSIT, redeemed=0, sequence=0, payee=a.payee.address,
        machine=a.machine.address, opener=a.customer.address)
    assert p.balance(a.customer.address) == before - DEPOSIT
    assert p.balance(p.payments.address) == DEPOSIT
    assert p.payments.functions.channelCount().call() == 1


def test_every_open_gets_a_fresh_channel_id(platform: Platform):
    p = platform
    ids = {_open(p, CREDIT) for _ in range(3)}
    assert len(ids) == 3
    assert p.payments.functions.channelCount().call() == 3


def test_open_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    p.tx(a.customer, p.token.functions.approve(p.payments.address, DEPOSIT))
    with reverts("MissingRole", a.stranger.address, Role.Customer):
        p.tx(a.stranger, f.open(a.machine.address, DEPOSIT, []))
    with reverts("MissingRole", a.stranger.address, Role.Machine):
        p.tx(a.customer, f.open(a.stranger.address, DEPOSIT, []))
    with reverts("ZeroAmount"):
        p.tx(a.customer, f.open(a.machine.address, 0, []))
    with reverts("ZeroAddress"):
        p.tx(a.customer, f.open(a.machine.address, DEPOSIT, [a.employees[0].address, ZERO]))
    with reverts("ERC20InsufficientAllowance", p.payments.address, DEPOSIT, DEPOSIT + 1):
        p.tx(a.customer, f.open(a.machine.address, DEPOSIT + 1, []))
    too_big = deposit_limit(p) + 1
    with reverts("SafeCastOverflowedUintDowncast", too_big.bit_length() - 1, too_big):
        p.tx(a.customer, f.open(a.machine.address, too_big, []))
    # a machine role without a registration has no payee to pay
    p.tx(a.admin, p.identity.functions.onboard(a.stranger.address, Role.Machine))
    with reverts("UnknownMachine", a.stranger.address):
        p.tx(a.customer, f.open(a.stranger.address, DEPOSIT, []))
    assert f.channelCount().call() == 0


def test_open_for_by_an_allowed_opener_pulls_from_the_customer(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    p.tx(a.admin, f.setOpener(a.stranger.address, True))
    p.tx(a.customer, p.token.functions.approve(p.payments.address, DEPOSIT))
    before = p.balance(a.customer.address)
    r = p.tx(a.stranger, f.openFor(a.customer.address, a.machine.address, DEPOSIT))
    opened = assert_event(p.payments, "ChannelOpened", r, customer=a.customer.address,
                          opener=a.stranger.address, deposit=DEPOSIT)
    assert p.balance(a.customer.address) == before - DEPOSIT
    assert channel_state(p, bytes(opened["channelId"])).opener == a.stranger.address


def test_open_for_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    with reverts("NotOpener", a.stranger.address):
        p.tx(a.stranger, f.openFor(a.customer.address, a.machine.address, DEPOSIT))
    with reverts("NotOpener", a.customer.address):
        p.tx(a.customer, f.openFor(a.customer.address, a.machine.address, DEPOSIT))
    p.tx(a.admin, f.setOpener(a.stranger.address, True))
    with reverts("MissingRole", a.supplier.address, Role.Customer):
        p.tx(a.stranger, f.openFor(a.supplier.address, a.machine.address, DEPOSIT))
    with reverts("ERC20InsufficientAllowance"):
        p.tx(a.stranger, f.openFor(a.customer.address, a.machine.address, DEPOSIT))
    p.tx(a.admin, f.setOpener(a.stranger.address, False))
    with reverts("NotOpener", a.stranger.address):
        p.tx(a.stranger, f.openFor(a.customer.address, a.machine.address, DEPOSIT))


# ----------------------------------------------------------------------- top-up

def test_top_up_adds_to_the_deposit(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    p.tx(a.customer, p.token.functions.approve(p.payments.address, 20 * CREDIT))
    r = p.tx(a.customer, p.payments.functions.topUp(cid, 20 * CREDIT))
    assert_event(p.payments, "ToppedUp", r, channelId=cid, amount=20 * CREDIT,
                 deposit=DEPOSIT + 20 * CREDIT)
    assert channel_state(p, cid).deposit == DEPOSIT + 20 * CREDIT
    assert p.balance(p.payments.address) == DEPOSIT + 20 * CREDIT


def test_top_up_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    p.tx(a.customer, p.token.functions.approve(p.payments.address, 10 * CREDIT))
    unknown = b"\x42" * 32
    with reverts("UnknownChannel", unknown):
        p.tx(a.customer, f.topUp(unknown, CREDIT))
    with reverts("NotCustomer", cid, a.stranger.address):
        p.tx(a.stranger, f.topUp(cid, CREDIT))
    with reverts("ZeroAmount"):
        p.tx(a.customer, f.topUp(cid, 0))
    with reverts("ERC20InsufficientAllowance", p.payments.address, 10 * CREDIT, 11 * CREDIT):
        p.tx(a.customer, f.topUp(cid, 11 * CREDIT))
    with reverts("SafeCastOverflowedUintDowncast"):
        p.tx(a.customer, f.topUp(cid, deposit_limit(p)))
    _close(p, cid)
    with reverts("ChannelNotOpen", cid, ChannelState.CLOSING):
        p.tx(a.customer, f.topUp(cid, CREDIT))
    assert channel_state(p, cid).deposit == DEPOSIT


# ----------------------------------------------------------------------- signers

@pytest.mark.needs("mine", "next_timestamp")
def test_authorise_and_revoke_a_signer(platform: Platform):
    """A revocation takes effect one challenge period later, like a close request."""
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    phone = a.employees[0].address
    assert not f.isDelegate(cid, phone).call()
    r = p.tx(a.customer, f.authorizeSigner(cid, phone))
    assert_event(p.payments, "SignerAuthorized", r, channelId=cid, signer=phone)
    assert f.isDelegate(cid, phone).call()
    r = p.tx(a.customer, f.revokeSigner(cid, phone))
    assert_event(p.payments, "SignerRevoked", r, channelId=cid, signer=phone)
    until = p.chain.timestamp(r["blockNumber"]) + 3600
    p.chain.set_next_block_timestamp(until)
    p.chain.mine()
    assert f.isDelegate(cid, phone).call()
    p.chain.set_next_block_timestamp(until + 1)
    p.chain.mine()
    assert not f.isDelegate(cid, phone).call()
    p.tx(a.customer, f.authorizeSigner(cid, phone))  # and it can be authorised again
    assert f.isDelegate(cid, phone).call()


def test_signer_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p, delegates=[a.employees[0].address])
    phone = a.employees[1].address
    with reverts("NotCustomer", cid, a.employees[0].address):
        p.tx(a.employees[0], f.authorizeSigner(cid, phone))
    with reverts("NotCustomer", cid, a.machine.address):
        p.tx(a.machine, f.revokeSigner(cid, a.employees[0].address))
    with reverts("ZeroAddress"):
        p.tx(a.customer, f.authorizeSigner(cid, ZERO))
    with reverts("UnknownChannel", b"\x01" * 32):
        p.tx(a.customer, f.authorizeSigner(b"\x01" * 32, phone))
    _close(p, cid)
    with reverts("ChannelNotOpen", cid, ChannelState.CLOSING):
        p.tx(a.customer, f.authorizeSigner(cid, phone))
    # revoking stays possible while closing: a lost phone must be cut off at any time
    r = p.tx(a.customer, f.revokeSigner(cid, a.employees[0].address))
    assert_event(p.payments, "SignerRevoked", r, signer=a.employees[0].address)


# ----------------------------------------------------------------------- redeeming

def test_redeem_pays_the_increment_to_the_payee_whoever_submits(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    sig = signed(p, a.customer, cid, 3 * CREDIT, 2)
    r = p.tx(a.stranger, f.redeem(cid, 3 * CREDIT, 2, sig))  # a watchtower submits it
    assert_event(p.payments, "Redeemed", r, channelId=cid, payee=a.payee.address,
                 amount=3 * CREDIT, cumulativeAmount=3 * CREDIT, sequence=2,
                 signer=a.customer.address)
    assert p.balance(a.payee.address) == 3 * CREDIT
    r = p.tx(a.machine, f.redeem(cid, 5 * CREDIT, 4, signed(p, a.customer, cid, 5 * CREDIT, 4)))
    assert_event(p.payments, "Redeemed", r, amount=2 * CREDIT, cumulativeAmount=5 * CREDIT,
                 sequence=4)
    assert p.balance(a.payee.address) == 5 * CREDIT
    st = channel_state(p, cid)
    assert (st.redeemed, st.sequence, st.status) == (5 * CREDIT, 4, ChannelState.OPEN)
    assert p.balance(p.payments.address) == DEPOSIT - 5 * CREDIT
    assert p.balance(a.stranger.address) == 0


def test_redeem_a_delegate_signed_receipt(platform: Platform):
    p, a = platform, platform.actors
    phone = a.employees[2]
    cid = _open(p, delegates=[phone.address])
    r = p.tx(a.machine, p.payments.functions.redeem(cid, CREDIT, 1,
                                                    signed(p, phone, cid, CREDIT, 1)))
    assert_event(p.payments, "Redeemed", r, signer=phone.address, amount=CREDIT)


def test_redeem_up_to_exactly_the_deposit(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    p.tx(a.machine, p.payments.functions.redeem(cid, DEPOSIT, 1,
                                                signed(p, a.customer, cid, DEPOSIT, 1)))
    assert p.balance(a.payee.address) == DEPOSIT
    assert p.balance(p.payments.address) == 0


def test_redeem_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    sig = signed(p, a.customer, cid, 2 * CREDIT, 2)
    p.tx(a.machine, f.redeem(cid, 2 * CREDIT, 2, sig))
    with reverts("UnknownChannel", b"\x07" * 32):
        p.tx(a.machine, f.redeem(b"\x07" * 32, CREDIT, 1, sig))
    with reverts("CumulativeNotIncreasing", 2 * CREDIT, 2 * CREDIT):
        p.tx(a.machine, f.redeem(cid, 2 * CREDIT, 3, signed(p, a.customer, cid, 2 * CREDIT, 3)))
    with reverts("SequenceNotIncreasing", 2, 2):
        p.tx(a.machine, f.redeem(cid, 3 * CREDIT, 2, signed(p, a.customer, cid, 3 * CREDIT, 2)))
    with reverts("ExceedsDeposit", DEPOSIT + 1, DEPOSIT):
        p.tx(a.machine, f.redeem(cid, DEPOSIT + 1, 3,
                                 signed(p, a.customer, cid, DEPOSIT + 1, 3)))
    good = signed(p, a.customer, cid, 3 * CREDIT, 3)
    for length in (0, 64, 66, 130):
        with reverts("InvalidSignatureLength", length):
            p.tx(a.machine, f.redeem(cid, 3 * CREDIT, 3, (good * 3)[:length]))
    with reverts("InvalidSignature"):  # v must be 27 or 28
        p.tx(a.machine, f.redeem(cid, 3 * CREDIT, 3, good[:64] + bytes([29])))
    with reverts("InvalidSignature"):  # r = 0 recovers no key
        p.tx(a.machine, f.redeem(cid, 3 * CREDIT, 3, bytes(32) + good[32:]))
    with reverts("UnauthorizedSigner", cid, a.stranger.address):
        p.tx(a.machine, f.redeem(cid, 3 * CREDIT, 3, signed(p, a.stranger, cid, 3 * CREDIT, 3)))
    st = channel_state(p, cid)
    assert (st.redeemed, st.sequence) == (2 * CREDIT, 2)
    assert p.balance(a.payee.address) == 2 * CREDIT


def test_redeem_on_a_settled_channel_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    p.tx(a.machine, p.payments.functions.cooperativeClose(cid, 0, 0, b""))
    with reverts("ChannelNotOpen", cid, ChannelState.SETTLED):
        p.tx(a.machine, p.payments.functions.redeem(cid, CREDIT, 1,
                                                    signed(p, a.customer, cid, CREDIT, 1)))


def test_receipt_digest_and_domain_match_eip712(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    msg = receipt_message(Domain(p.chain.chain_id, p.payments.address), cid, 1234, 7)
    expected = keccak(b"\x19" + msg.version + msg.header + msg.body)
    assert bytes(p.payments.functions.receiptDigest(cid, 1234, 7).call()) == expected
    assert bytes(p.payments.functions.domainSeparator().call()) == bytes(msg.header)
    assert bytes(p.payments.functions.RECEIPT_TYPEHASH().call()) == keccak(
        text="Receipt(bytes32 channelId,uint256 cumulativeAmount,uint64 sequence)")
    assert a.customer.address  # the digest is independent of who asks


# ----------------------------------------------------------------------- closing

def test_cooperative_close_redeems_the_latest_and_refunds_the_rest(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    before = p.balance(a.customer.address)
    r = p.tx(a.machine, p.payments.functions.cooperativeClose(
        cid, 7 * CREDIT, 3, signed(p, a.customer, cid, 7 * CREDIT, 3)))
    assert_event(p.payments, "Redeemed", r, amount=7 * CREDIT, sequence=3)
    assert_event(p.payments, "Settled", r, channelId=cid, paid=7 * CREDIT,
                 refunded=DEPOSIT - 7 * CREDIT)
    assert p.balance(a.payee.address) == 7 * CREDIT
    assert p.balance(a.customer.address) == before + DEPOSIT - 7 * CREDIT
    assert channel_state(p, cid).status == ChannelState.SETTLED
    assert p.balance(p.payments.address) == 0


def test_cooperative_close_with_the_already_redeemed_receipt_only_settles(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    sig = signed(p, a.customer, cid, 4 * CREDIT, 2)
    p.tx(a.machine, f.redeem(cid, 4 * CREDIT, 2, sig))
    r = p.tx(a.machine, f.cooperativeClose(cid, 4 * CREDIT, 2, b""))
    assert events(p.payments, "Redeemed", r) == []
    assert_event(p.payments, "Settled", r, paid=4 * CREDIT, refunded=DEPOSIT - 4 * CREDIT)


def test_cooperative_close_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    p.tx(a.machine, f.redeem(cid, 4 * CREDIT, 2, signed(p, a.customer, cid, 4 * CREDIT, 2)))
    for who in (a.customer, a.payee, a.stranger, a.manufacturer):
        with reverts("NotMachine", cid, who.address):
            p.tx(who, f.cooperativeClose(cid, 4 * CREDIT, 2, b""))
    with reverts("CumulativeNotIncreasing", 3 * CREDIT, 4 * CREDIT):
        p.tx(a.machine, f.cooperativeClose(cid, 3 * CREDIT, 1,
                                           signed(p, a.customer, cid, 3 * CREDIT, 1)))
    with reverts("UnknownChannel", b"\x09" * 32):
        p.tx(a.machine, f.cooperativeClose(b"\x09" * 32, 0, 0, b""))
    p.tx(a.machine, f.cooperativeClose(cid, 4 * CREDIT, 2, b""))
    with reverts("ChannelNotOpen", cid, ChannelState.SETTLED):
        p.tx(a.machine, f.cooperativeClose(cid, 4 * CREDIT, 2, b""))


@pytest.mark.needs("next_timestamp", "trace")
def test_cooperative_close_during_the_challenge_period(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    deadline = _close(p, cid)
    sig = signed(p, a.customer, cid, 2 * CREDIT, 1)
    out = mined(p, a.machine, p.payments.functions.cooperativeClose(cid, 2 * CREDIT, 1, sig),
                at=deadline)
    assert out.ok, out
    assert_event(p.payments, "Settled", out.receipt, paid=2 * CREDIT)


@pytest.mark.needs("next_timestamp", "trace")
def test_cooperative_close_after_the_deadline_is_too_late(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    deadline = _close(p, cid)
    sig = signed(p, a.customer, cid, 2 * CREDIT, 1)
    out = mined(p, a.machine, p.payments.functions.cooperativeClose(cid, 2 * CREDIT, 1, sig),
                at=deadline + 1)
    assert (out.error, out.args) == ("ChallengePeriodOver", (deadline, deadline + 1))


def test_request_close_starts_the_challenge_period(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    r = p.tx(a.customer, p.payments.functions.requestClose(cid))
    now = p.chain.timestamp(r["blockNumber"])
    assert_event(p.payments, "CloseRequested", r, channelId=cid, by=a.customer.address,
                 deadline=now + 3600)
    st = channel_state(p, cid)
    assert (st.status, st.close_deadline) == (ChannelState.CLOSING, now + 3600)


@pytest.mark.needs("next_timestamp", "trace")
def test_request_close_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p, delegates=[a.employees[0].address])
    for who in (a.machine, a.payee, a.stranger, a.employees[0]):
        with reverts("NotCustomer", cid, who.address):
            p.tx(who, f.requestClose(cid))
    deadline = _close(p, cid)
    with reverts("CloseAlreadyRequested", cid, deadline):
        p.tx(a.customer, f.requestClose(cid))
    assert mined(p, a.stranger, f.settle(cid), at=deadline + 1).ok
    with reverts("ChannelNotOpen", cid, ChannelState.SETTLED):
        p.tx(a.customer, f.requestClose(cid))


def test_the_opener_may_request_close(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    p.tx(a.admin, f.setOpener(a.stranger.address, True))
    p.tx(a.customer, p.token.functions.approve(p.payments.address, DEPOSIT))
    r = p.tx(a.stranger, f.openFor(a.customer.address, a.machine.address, DEPOSIT))
    cid = bytes(only_event(p.payments, "ChannelOpened", r)["channelId"])
    r = p.tx(a.stranger, f.requestClose(cid))
    assert_event(p.payments, "CloseRequested", r, by=a.stranger.address)


@pytest.mark.needs("next_timestamp", "trace")
def test_settle_after_the_deadline_refunds_the_customer(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    p.tx(a.machine, f.redeem(cid, 6 * CREDIT, 1, signed(p, a.customer, cid, 6 * CREDIT, 1)))
    deadline = _close(p, cid)
    before = p.balance(a.customer.address)
    out = mined(p, a.stranger, f.settle(cid), at=deadline + 1)  # anyone may settle
    assert out.ok, out
    assert_event(p.payments, "Settled", out.receipt, channelId=cid, paid=6 * CREDIT,
                 refunded=DEPOSIT - 6 * CREDIT)
    assert events(p.payments, "PayoutDeferred", out.receipt) == []
    assert p.balance(a.customer.address) == before + DEPOSIT - 6 * CREDIT
    assert channel_state(p, cid).status == ChannelState.SETTLED
    with reverts("ChannelNotOpen", cid, ChannelState.SETTLED):
        p.tx(a.customer, f.settle(cid))


@pytest.mark.needs("next_timestamp", "trace")
def test_settle_a_fully_redeemed_channel_moves_nothing(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = _open(p)
    p.tx(a.machine, f.redeem(cid, DEPOSIT, 1, signed(p, a.customer, cid, DEPOSIT, 1)))
    deadline = _close(p, cid)
    before = p.balance(a.customer.address)
    out = mined(p, a.customer, f.settle(cid), at=deadline + 1)
    assert_event(p.payments, "Settled", out.receipt, paid=DEPOSIT, refunded=0)
    assert p.balance(a.customer.address) == before


@pytest.mark.parametrize("offset", [0, -1, -3599])
@pytest.mark.needs("next_timestamp", "trace")
def test_settle_inside_the_challenge_period_is_refused(platform: Platform, offset: int):
    p, a = platform, platform.actors
    cid = _open(p)
    deadline = _close(p, cid)
    out = mined(p, a.customer, p.payments.functions.settle(cid), at=deadline + offset)
    assert (out.error, out.args) == ("ChallengePeriodActive", (deadline, deadline + offset))
    assert channel_state(p, cid).status == ChannelState.CLOSING


def test_settle_an_open_channel_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = _open(p)
    with reverts("ChannelNotOpen", cid, ChannelState.OPEN):
        p.tx(a.customer, p.payments.functions.settle(cid))
    with reverts("UnknownChannel", b"\x05" * 32):
        p.tx(a.customer, p.payments.functions.settle(b"\x05" * 32))


# ----------------------------------------------------------------------- views and payouts

def test_withdraw_with_nothing_owed(platform: Platform):
    p, a = platform, platform.actors
    with reverts("NothingToWithdraw", a.payee.address):
        p.tx(a.payee, p.payments.functions.withdraw())


def test_channel_view_of_an_unknown_id(platform: Platform):
    p = platform
    with reverts("UnknownChannel", b"\x00" * 32):
        p.sender.call(p.payments.functions.channel(b"\x00" * 32))


def test_immutable_wiring(platform: Platform):
    p = platform
    f = p.payments.functions
    assert (f.token().call(), f.identity().call(), f.challengePeriod().call()) == (
        p.token.address, p.identity.address, 3600)
