"""Attacks on receipts and channels: replays across channels, contracts and chains, foreign
message types, malleated and compact signatures, wrong signers, stale receipts and the strict
challenge-period boundary."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from hexbytes import HexBytes

from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.node import Chain
from rig.platform import Platform, deploy_platform
from rig.platform.channels import ChannelState, channel_state, open_channel, signed
from rig.platform.deploy import CREDIT
from rig.platform.receipts import RECEIPT_TYPES, Domain, sign_receipt
from tests.contracts.support import (
    SECP256K1_N,
    assert_event,
    close_deadline,
    compact,
    create_address,
    deploy_contract,
    high_s,
    mined,
    only_event,
    recover,
    reverts,
    split,
)

DEPOSIT = 50 * CREDIT


def _digest(p: Platform, cid: bytes, cumulative: int, sequence: int) -> bytes:
    return bytes(p.payments.functions.receiptDigest(cid, cumulative, sequence).call())


def _redeem(p: Platform, cid: bytes, cumulative: int, sequence: int, sig: bytes):
    return p.tx(p.actors.machine, p.payments.functions.redeem(cid, cumulative, sequence, sig))


def _request_close(p: Platform, cid: bytes) -> int:
    return close_deadline(p, p.tx(p.actors.customer, p.payments.functions.requestClose(cid)))


def _assert_untouched(p: Platform, cid: bytes, deposit: int = DEPOSIT) -> None:
    st = channel_state(p, cid)
    assert (st.redeemed, st.sequence, st.deposit) == (0, 0, deposit)


# ----------------------------------------------------------------------- replays

def test_receipt_replayed_into_another_channel_is_refused(platform: Platform):
    p, a = platform, platform.actors
    first, second = open_channel(p, DEPOSIT), open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, first, 3 * CREDIT, 1)
    stray = recover(_digest(p, second, 3 * CREDIT, 1), sig)
    assert stray != a.customer.address
    with reverts("UnauthorizedSigner", second, stray):
        _redeem(p, second, 3 * CREDIT, 1, sig)
    _assert_untouched(p, second)
    _redeem(p, first, 3 * CREDIT, 1, sig)  # where it belongs it is good
    assert p.balance(a.payee.address) == 3 * CREDIT


def test_receipt_replayed_into_a_reopened_channel_is_refused(platform: Platform):
    p, a = platform, platform.actors
    old = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, old, 3 * CREDIT, 1)
    p.tx(a.machine, p.payments.functions.cooperativeClose(old, 3 * CREDIT, 1, sig))
    new = open_channel(p, DEPOSIT)  # same customer, same machine
    assert new != old
    with reverts("UnauthorizedSigner", new, recover(_digest(p, new, 3 * CREDIT, 1), sig)):
        _redeem(p, new, 3 * CREDIT, 1, sig)
    with reverts("ChannelNotOpen", old, ChannelState.SETTLED):
        _redeem(p, old, 3 * CREDIT, 1, sig)
    _assert_untouched(p, new)
    assert p.balance(a.payee.address) == 3 * CREDIT


def test_receipt_replayed_into_a_second_payment_provider_is_refused(platform: Platform):
    p, a = platform, platform.actors
    other = deploy_contract(p, "PaymentProvider", p.token.address, p.identity.address, 3600)
    assert other.address != p.payments.address
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, cid, 3 * CREDIT, 1)
    with reverts("UnknownChannel", cid):
        p.tx(a.machine, other.functions.redeem(cid, 3 * CREDIT, 1, sig))
    # a channel on the second contract: same customer, machine and instance number, other id
    p.tx(a.customer, p.token.functions.approve(other.address, DEPOSIT))
    r = p.tx(a.customer, other.functions.open(a.machine.address, DEPOSIT, []))
    twin = bytes(only_event(other, "ChannelOpened", r)["channelId"])
    assert other.functions.channelCount().call() == p.payments.functions.channelCount().call()
    assert twin != cid
    # a receipt for the twin's id, but signed under the first contract's domain
    wrong_domain = sign_receipt(a.customer, Domain(p.chain.chain_id, p.payments.address),
                                twin, 3 * CREDIT, 1)
    stray = recover(bytes(other.functions.receiptDigest(twin, 3 * CREDIT, 1).call()),
                    wrong_domain)
    with reverts("UnauthorizedSigner", twin, stray):
        p.tx(a.machine, other.functions.redeem(twin, 3 * CREDIT, 1, wrong_domain))
    right = sign_receipt(a.customer, Domain(p.chain.chain_id, other.address), twin, 3 * CREDIT, 1)
    p.tx(a.machine, other.functions.redeem(twin, 3 * CREDIT, 1, right))
    assert p.balance(a.payee.address) == 3 * CREDIT


def _deploy_nonce(chain: Chain, deployer: str, address: str) -> int:
    for nonce in range(chain.w3.eth.get_transaction_count(deployer)):
        if create_address(deployer, nonce) == address:
            return nonce
    raise AssertionError(f"{address} was not created by {deployer} on this chain")


@pytest.mark.needs("set_nonce")
def test_receipt_replayed_onto_another_chain_at_the_same_address_is_refused(
        platform: Platform):
    p, a = platform, platform.actors
    nonce = _deploy_nonce(p.chain, a.admin.address, p.token.address)
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, cid, 3 * CREDIT, 1)
    with Anvil(AnvilOptions(chain_id=p.chain.chain_id + 1)) as node:
        fork = Chain(node.url)
        fork.set_nonce(a.admin.address, nonce)
        q = deploy_platform(fork, a, challenge_period=3600, artifacts=p.artifacts)
        assert q.addresses() == p.addresses()
        assert fork.chain_id != p.chain.chain_id
        with reverts("UnknownChannel", cid):
            _redeem(q, cid, 3 * CREDIT, 1, sig)
        # the same customer, machine and instance number there: the id still differs
        twin = open_channel(q, DEPOSIT)
        assert twin != cid
        assert q.payments.functions.domainSeparator().call() != \
            p.payments.functions.domainSeparator().call()
        # and a receipt for the twin signed under this chain's domain does not verify there
        wrong_chain = sign_receipt(a.customer, Domain(p.chain.chain_id, p.payments.address),
                                   twin, 3 * CREDIT, 1)
        stray = recover(_digest(q, twin, 3 * CREDIT, 1), wrong_chain)
        assert stray != a.customer.address
        with reverts("UnauthorizedSigner", twin, stray):
            _redeem(q, twin, 3 * CREDIT, 1, wrong_chain)
        assert q.balance(a.payee.address) == 0
    _redeem(p, cid, 3 * CREDIT, 1, sig)
    assert p.balance(a.payee.address) == 3 * CREDIT


# ----------------------------------------------------------------------- foreign messages

def test_receipt_of_another_eip712_type_with_the_same_fields_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    domain = Domain(p.chain.chain_id, p.payments.address).as_dict()
    voucher = encode_typed_data(domain, {"Voucher": RECEIPT_TYPES["Receipt"]}, {
        "channelId": cid, "cumulativeAmount": 3 * CREDIT, "sequence": 1})
    sig = bytes(a.customer.sign_message(voucher).signature)
    stray = recover(_digest(p, cid, 3 * CREDIT, 1), sig)
    assert stray != a.customer.address
    with reverts("UnauthorizedSigner", cid, stray):
        _redeem(p, cid, 3 * CREDIT, 1, sig)
    _assert_untouched(p, cid)


def test_personal_sign_of_the_receipt_digest_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    digest = _digest(p, cid, 3 * CREDIT, 1)
    sig = bytes(a.customer.sign_message(encode_defunct(primitive=digest)).signature)
    assert Account.recover_message(encode_defunct(primitive=digest), signature=sig) == \
        a.customer.address
    with reverts("UnauthorizedSigner", cid, recover(digest, sig)):
        _redeem(p, cid, 3 * CREDIT, 1, sig)
    _assert_untouched(p, cid)


def test_eth_sign_of_the_receipt_digest_is_refused(platform: Platform):
    """The node's own eth_sign (prefixed, like every wallet's) never yields a receipt; its
    eth_signTypedData_v4 does, which cross-checks the contract's digest with the node's."""
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    digest = _digest(p, cid, 3 * CREDIT, 1)
    sig = bytes(HexBytes(p.chain.rpc("eth_sign", a.customer.address,
                                     HexBytes(digest).to_0x_hex())))
    with reverts("UnauthorizedSigner", cid, recover(digest, sig)):
        _redeem(p, cid, 3 * CREDIT, 1, sig)
    typed = {"types": {"EIP712Domain": [
        {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
        **RECEIPT_TYPES}, "primaryType": "Receipt",
        "domain": Domain(p.chain.chain_id, p.payments.address).as_dict(),
        "message": {"channelId": HexBytes(cid).to_0x_hex(), "cumulativeAmount": 3 * CREDIT,
                    "sequence": 1}}
    good = bytes(HexBytes(p.chain.rpc("eth_signTypedData_v4", a.customer.address, typed)))
    assert_event(p.payments, "Redeemed", _redeem(p, cid, 3 * CREDIT, 1, good),
                 signer=a.customer.address)


# ----------------------------------------------------------------------- signature forms

def test_high_s_twin_of_a_valid_signature_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, cid, 3 * CREDIT, 1)
    twin = high_s(sig)
    assert split(twin)[1] > SECP256K1_N // 2
    # the twin is a genuine signature by the customer over the same digest
    assert recover(_digest(p, cid, 3 * CREDIT, 1), twin) == a.customer.address
    with reverts("SignatureHighS"):
        _redeem(p, cid, 3 * CREDIT, 1, twin)
    _assert_untouched(p, cid)
    _redeem(p, cid, 3 * CREDIT, 1, sig)
    with reverts("CumulativeNotIncreasing"):  # and it cannot be redeemed a second time
        _redeem(p, cid, 3 * CREDIT, 1, twin)


def test_compact_erc2098_signature_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, cid, 3 * CREDIT, 1)
    short = compact(sig)
    r, s, v = split(sig)
    vs = int.from_bytes(short[32:], "big")
    assert (int.from_bytes(short[:32], "big"), vs & (2**255 - 1), 27 + (vs >> 255)) == (r, s, v)
    with reverts("InvalidSignatureLength", 64):
        _redeem(p, cid, 3 * CREDIT, 1, short)
    _assert_untouched(p, cid)


def test_signature_by_a_stranger_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    for outsider in (a.stranger, a.machine, a.payee, a.admin):
        with reverts("UnauthorizedSigner", cid, outsider.address):
            _redeem(p, cid, 3 * CREDIT, 1, signed(p, outsider, cid, 3 * CREDIT, 1))
    _assert_untouched(p, cid)


def test_delegate_of_another_channel_is_refused(platform: Platform):
    p, a = platform, platform.actors
    phone = a.employees[0]
    open_channel(p, DEPOSIT, [phone.address])
    cid = open_channel(p, DEPOSIT)
    with reverts("UnauthorizedSigner", cid, phone.address):
        _redeem(p, cid, CREDIT, 1, signed(p, phone, cid, CREDIT, 1))


def _revoke(p: Platform, cid: bytes, signer: str) -> int:
    """Revoke; returns the last second at which the signer's receipts still count."""
    r = p.tx(p.actors.customer, p.payments.functions.revokeSigner(cid, signer))
    return p.chain.timestamp(r["blockNumber"]) + p.challenge_period


@pytest.mark.needs("next_timestamp", "trace")
def test_signature_by_a_revoked_delegate_is_refused(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    phone = a.employees[0]
    cid = open_channel(p, DEPOSIT, [phone.address])
    _redeem(p, cid, CREDIT, 1, signed(p, phone, cid, CREDIT, 1))
    until = _revoke(p, cid, phone.address)
    sig = signed(p, phone, cid, 2 * CREDIT, 2)
    out = mined(p, a.machine, f.redeem(cid, 2 * CREDIT, 2, sig), at=until + 1)
    assert (out.error, out.args) == ("UnauthorizedSigner", (cid, phone.address.lower()))
    _redeem(p, cid, 2 * CREDIT, 2, signed(p, a.customer, cid, 2 * CREDIT, 2))
    assert p.balance(a.payee.address) == 2 * CREDIT


@pytest.mark.needs("next_timestamp", "trace")
def test_revoking_a_delegate_cannot_void_receipts_the_machine_already_holds(
        platform: Platform):
    """Free coffee by revocation: employees' phones buy, the customer revokes them before the
    machine redeems, then closes. The machine gets the challenge period to redeem, exactly as
    after a close request."""
    p, a = platform, platform.actors
    f = p.payments.functions
    phone = a.employees[0]
    cid = open_channel(p, DEPOSIT, [phone.address])
    latest = signed(p, phone, cid, 8 * CREDIT, 4)  # four coffees served, kept by the machine
    until = _revoke(p, cid, phone.address)
    deadline = _request_close(p, cid)
    out = mined(p, a.machine, f.redeem(cid, 8 * CREDIT, 4, latest), at=until)
    assert out.ok, out
    assert_event(p.payments, "Redeemed", out.receipt, signer=phone.address, amount=8 * CREDIT)
    out = mined(p, a.customer, f.settle(cid), at=deadline + 1)
    assert_event(p.payments, "Settled", out.receipt, paid=8 * CREDIT,
                 refunded=DEPOSIT - 8 * CREDIT)


def test_revoking_an_unknown_signer_authorises_nothing(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    _revoke(p, cid, a.stranger.address)
    assert not p.payments.functions.isDelegate(cid, a.stranger.address).call()
    with reverts("UnauthorizedSigner", cid, a.stranger.address):
        _redeem(p, cid, CREDIT, 1, signed(p, a.stranger, cid, CREDIT, 1))


@pytest.mark.needs("mine", "next_timestamp", "time", "trace")
def test_revoking_again_does_not_extend_the_window(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    phone = a.employees[0]
    cid = open_channel(p, DEPOSIT, [phone.address])
    until = _revoke(p, cid, phone.address)
    p.chain.increase_time(1800)
    assert _revoke(p, cid, phone.address) > until
    sig = signed(p, phone, cid, CREDIT, 1)
    out = mined(p, a.machine, f.redeem(cid, CREDIT, 1, sig), at=until + 1)
    assert (out.error, out.args) == ("UnauthorizedSigner", (cid, phone.address.lower()))


# ----------------------------------------------------------------------- stale and excess

def test_older_receipt_after_a_newer_one_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    older = signed(p, a.customer, cid, 3 * CREDIT, 3)
    _redeem(p, cid, 5 * CREDIT, 5, signed(p, a.customer, cid, 5 * CREDIT, 5))
    with reverts("CumulativeNotIncreasing", 3 * CREDIT, 5 * CREDIT):
        _redeem(p, cid, 3 * CREDIT, 3, older)
    # a higher amount under an old sequence number is refused as well
    with reverts("SequenceNotIncreasing", 4, 5):
        _redeem(p, cid, 6 * CREDIT, 4, signed(p, a.customer, cid, 6 * CREDIT, 4))
    assert p.balance(a.payee.address) == 5 * CREDIT


def test_the_same_receipt_twice_pays_once(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, cid, 4 * CREDIT, 2)
    _redeem(p, cid, 4 * CREDIT, 2, sig)
    with reverts("CumulativeNotIncreasing", 4 * CREDIT, 4 * CREDIT):
        p.tx(a.stranger, p.payments.functions.redeem(cid, 4 * CREDIT, 2, sig))
    assert p.balance(a.payee.address) == 4 * CREDIT


def test_cumulative_above_the_deposit_is_refused(platform: Platform):
    p, a = platform, platform.actors
    cid = open_channel(p, DEPOSIT)
    with reverts("ExceedsDeposit", DEPOSIT + 1, DEPOSIT):
        _redeem(p, cid, DEPOSIT + 1, 1, signed(p, a.customer, cid, DEPOSIT + 1, 1))
    _assert_untouched(p, cid)


def test_redeem_then_top_up_then_redeem_the_larger_receipt(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    _redeem(p, cid, 30 * CREDIT, 6, signed(p, a.customer, cid, 30 * CREDIT, 6))
    big = signed(p, a.customer, cid, 70 * CREDIT, 14)
    with reverts("ExceedsDeposit", 70 * CREDIT, DEPOSIT):
        _redeem(p, cid, 70 * CREDIT, 14, big)
    p.tx(a.customer, p.token.functions.approve(p.payments.address, DEPOSIT))
    p.tx(a.customer, f.topUp(cid, DEPOSIT))
    r = _redeem(p, cid, 70 * CREDIT, 14, big)
    assert_event(p.payments, "Redeemed", r, amount=40 * CREDIT, cumulativeAmount=70 * CREDIT)
    assert p.balance(a.payee.address) == 70 * CREDIT
    assert channel_state(p, cid).deposit == 2 * DEPOSIT


# ----------------------------------------------------------------------- the close window

@pytest.mark.needs("next_timestamp", "trace")
def test_redeem_in_the_last_second_of_the_window_beats_settle(platform: Platform):
    """At timestamp == deadline, one second before settle may run, a redeem still counts."""
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    deadline = _request_close(p, cid)
    sig = signed(p, a.customer, cid, 9 * CREDIT, 3)
    out = mined(p, a.machine, f.redeem(cid, 9 * CREDIT, 3, sig), at=deadline)
    assert out.ok, out
    assert p.chain.timestamp(out.receipt["blockNumber"]) == deadline
    before = p.balance(a.customer.address)
    out = mined(p, a.customer, f.settle(cid), at=deadline + 1)
    assert_event(p.payments, "Settled", out.receipt, paid=9 * CREDIT, refunded=DEPOSIT - 9 * CREDIT)
    assert p.balance(a.payee.address) == 9 * CREDIT
    assert p.balance(a.customer.address) == before + DEPOSIT - 9 * CREDIT


@pytest.mark.needs("next_timestamp", "trace")
def test_redeem_one_second_after_the_window_loses_to_settle(platform: Platform):
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    deadline = _request_close(p, cid)
    sig = signed(p, a.customer, cid, 9 * CREDIT, 3)
    late = mined(p, a.machine, f.redeem(cid, 9 * CREDIT, 3, sig), at=deadline + 1)
    assert (late.error, late.args) == ("ChallengePeriodOver", (deadline, deadline + 1))
    out = mined(p, a.customer, f.settle(cid), at=deadline + 2)
    assert_event(p.payments, "Settled", out.receipt, paid=0, refunded=DEPOSIT)
    with reverts("ChannelNotOpen", cid, ChannelState.SETTLED):
        _redeem(p, cid, 9 * CREDIT, 3, sig)
    assert p.balance(a.payee.address) == 0


@pytest.mark.needs("mine", "next_timestamp", "time", "trace")
def test_stale_close_while_the_machine_is_offline_then_its_redeem_inside_the_window(
        platform: Platform):
    """The customer asks to close (hoping for the full refund) while the machine, holding
    receipts for coffees already served, is offline; back online inside the window, it redeems
    and the settle refunds only the rest."""
    p, a = platform, platform.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    latest = signed(p, a.customer, cid, 12 * CREDIT, 6)  # kept in the machine, not redeemed
    deadline = _request_close(p, cid)
    p.chain.increase_time(3600 - 60)  # offline for all but the last minute
    p.chain.mine()
    with reverts("ChallengePeriodActive"):
        p.tx(a.customer, f.settle(cid))
    r = _redeem(p, cid, 12 * CREDIT, 6, latest)
    assert p.chain.timestamp(r["blockNumber"]) <= deadline
    assert_event(p.payments, "Redeemed", r, amount=12 * CREDIT)
    out = mined(p, a.stranger, f.settle(cid), at=deadline + 1)
    assert_event(p.payments, "Settled", out.receipt, paid=12 * CREDIT,
                 refunded=DEPOSIT - 12 * CREDIT)
    assert p.balance(a.payee.address) == 12 * CREDIT
