"""CreditToken: a 6-decimal ERC-20 that only minters can create and anyone can burn."""

from __future__ import annotations

from eth_utils import keccak

from rig.platform import Platform
from rig.platform.deploy import CREDIT
from tests.contracts.support import assert_event, reverts

MINTER_ROLE = keccak(text="MINTER_ROLE")


def test_metadata_is_a_euro_like_credit(platform: Platform):
    t = platform.token.functions
    assert t.decimals().call() == 6
    assert t.symbol().call() == "CPC"
    assert t.name().call() == "CoffeePay Credit"
    assert t.MINTER_ROLE().call() == MINTER_ROLE


def test_admin_mints_and_supply_grows(platform: Platform):
    p, a = platform, platform.actors
    supply = p.token.functions.totalSupply().call()
    receipt = p.tx(a.admin, p.token.functions.mint(a.stranger.address, 5 * CREDIT))
    assert_event(p.token, "Transfer", receipt, **{"from": "0x" + "00" * 20,
                                                  "to": a.stranger.address,
                                                  "value": 5 * CREDIT})
    assert p.balance(a.stranger.address) == 5 * CREDIT
    assert p.token.functions.totalSupply().call() == supply + 5 * CREDIT


def test_non_minter_cannot_mint(platform: Platform):
    p, a = platform, platform.actors
    with reverts("AccessControlUnauthorizedAccount", a.stranger.address, MINTER_ROLE):
        p.tx(a.stranger, p.token.functions.mint(a.stranger.address, 1))
    with reverts("AccessControlUnauthorizedAccount", a.customer.address, MINTER_ROLE):
        p.tx(a.customer, p.token.functions.mint(a.customer.address, 1))


def test_granted_minter_can_mint_and_revoked_cannot(platform: Platform):
    p, a = platform, platform.actors
    t = p.token.functions
    p.tx(a.admin, t.grantRole(MINTER_ROLE, a.second_admin.address))
    p.tx(a.second_admin, t.mint(a.stranger.address, 7))
    assert p.balance(a.stranger.address) == 7
    p.tx(a.admin, t.revokeRole(MINTER_ROLE, a.second_admin.address))
    with reverts("AccessControlUnauthorizedAccount", a.second_admin.address, MINTER_ROLE):
        p.tx(a.second_admin, t.mint(a.stranger.address, 7))


def test_anyone_burns_their_own_credits_only(platform: Platform):
    p, a = platform, platform.actors
    supply = p.token.functions.totalSupply().call()
    before = p.balance(a.customer.address)
    receipt = p.tx(a.customer, p.token.functions.burn(3 * CREDIT))
    assert_event(p.token, "Transfer", receipt, **{"from": a.customer.address,
                                                  "to": "0x" + "00" * 20, "value": 3 * CREDIT})
    assert p.balance(a.customer.address) == before - 3 * CREDIT
    assert p.token.functions.totalSupply().call() == supply - 3 * CREDIT
    with reverts("ERC20InsufficientBalance", a.stranger.address, 0, 1):
        p.tx(a.stranger, p.token.functions.burn(1))


def test_transfer_beyond_balance_and_allowance_is_refused(platform: Platform):
    p, a = platform, platform.actors
    t = p.token.functions
    balance = p.balance(a.customer.address)
    with reverts("ERC20InsufficientBalance", a.customer.address, balance, balance + 1):
        p.tx(a.customer, t.transfer(a.stranger.address, balance + 1))
    p.tx(a.customer, t.approve(a.stranger.address, 10))
    with reverts("ERC20InsufficientAllowance", a.stranger.address, 10, 11):
        p.tx(a.stranger, t.transferFrom(a.customer.address, a.stranger.address, 11))
    p.tx(a.stranger, t.transferFrom(a.customer.address, a.stranger.address, 10))
    assert p.balance(a.stranger.address) == 10
