"""Front-running: a node that only mines on demand and orders the block by tip, so a customer
who sees the machine's redeem in the mempool can put its own transaction first. Inside the
challenge window the machine's redeem still pays; the window's end, not the order, decides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction

from contracts import Artifact
from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.node import Chain
from rig.platform import Platform, deploy_platform
from rig.platform.channels import ChannelState, channel_state, open_channel, signed
from rig.platform.deploy import CREDIT
from tests.contracts.support import (
    FIXED_GAS,
    Outcome,
    assert_event,
    close_deadline,
    events,
    mined,
    outcome,
)

DEPOSIT = 50 * CREDIT
LOW_TIP, HIGH_TIP = 10**9, 50 * 10**9


@pytest.fixture(scope="module")
def mempool_platform(artifacts: dict[str, Artifact]) -> Iterator[Platform]:
    with Anvil(AnvilOptions(no_mining=True, order="fees")) as node:
        chain = Chain(node.url)
        assert not chain.automine()
        chain.set_automine(True)  # deploy and set up in automine, race with it off
        yield deploy_platform(chain, artifacts=artifacts, challenge_period=3600)


@pytest.fixture
def mp(mempool_platform: Platform) -> Iterator[Platform]:
    chain = mempool_platform.chain
    chain.set_automine(True)
    with chain.isolated():
        yield mempool_platform
    chain.set_automine(True)


def race(p: Platform, *sends: tuple[LocalAccount, ContractFunction, int],
         at: int | None = None) -> list[Outcome]:
    """Submit every (account, call, tip) to the mempool, then mine them in one block (stamped
    ``at``); outcomes in submission order."""
    chain: Chain = p.chain
    chain.set_automine(False)
    try:
        hashes = [p.sender.transact(acct, fn, gas=FIXED_GAS, wait=False, priority_fee=tip)
                  for acct, fn, tip in sends]
        assert {h.to_0x_hex() for h in hashes} <= chain.pending_hashes()
        if at is not None:
            chain.set_next_block_timestamp(at)
        chain.mine()
    finally:
        chain.set_automine(True)
    outs = [outcome(p.sender, h) for h in hashes]
    assert len({o.receipt["blockNumber"] for o in outs}) == 1, "not mined in one block"
    return outs


def _first(*outs: Outcome) -> Outcome:
    return min(outs, key=lambda o: o.receipt["transactionIndex"])


def _closing(p: Platform, latest: tuple[int, int]) -> tuple[bytes, int, bytes]:
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, p.actors.customer, cid, *latest)
    deadline = close_deadline(p, p.tx(p.actors.customer, p.payments.functions.requestClose(cid)))
    return cid, deadline, sig


@pytest.mark.needs("automine", "automine_status", "mine", "next_timestamp", "snapshot", "trace")
def test_close_request_front_running_the_redeem_changes_nothing(mp: Platform):
    p, a = mp, mp.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, cid, 9 * CREDIT, 3)
    redeem, close = race(p, (a.machine, f.redeem(cid, 9 * CREDIT, 3, sig), LOW_TIP),
                         (a.customer, f.requestClose(cid), HIGH_TIP))
    assert _first(redeem, close) is close
    assert close.ok and redeem.ok, (close, redeem)
    assert_event(p.payments, "Redeemed", redeem.receipt, amount=9 * CREDIT)
    assert p.balance(a.payee.address) == 9 * CREDIT
    st = channel_state(p, cid)
    assert (st.status, st.redeemed) == (ChannelState.CLOSING, 9 * CREDIT)


@pytest.mark.parametrize("submitter", ["machine", "stranger"])  # stranger: a watchtower
@pytest.mark.needs("automine", "automine_status", "mine", "next_timestamp", "snapshot", "trace")
def test_settle_front_running_a_redeem_in_the_windows_last_block_fails(mp: Platform,
                                                                       submitter: str):
    p, a = mp, mp.actors
    f = p.payments.functions
    cid, deadline, sig = _closing(p, (9 * CREDIT, 3))
    who = getattr(a, submitter)
    redeem, settle = race(p, (who, f.redeem(cid, 9 * CREDIT, 3, sig), LOW_TIP),
                          (a.customer, f.settle(cid), HIGH_TIP), at=deadline)
    assert _first(redeem, settle) is settle
    assert (settle.error, settle.args) == ("ChallengePeriodActive", (deadline, deadline))
    assert redeem.ok, redeem
    assert p.balance(a.payee.address) == 9 * CREDIT
    out = mined(p, a.customer, f.settle(cid), at=deadline + 1)
    assert_event(p.payments, "Settled", out.receipt, paid=9 * CREDIT,
                 refunded=DEPOSIT - 9 * CREDIT)


@pytest.mark.parametrize("outbid", ["customer", "machine"])
@pytest.mark.needs("automine", "automine_status", "mine", "next_timestamp", "snapshot", "trace")
def test_after_the_window_settle_wins_whoever_pays_more(mp: Platform, outbid: str):
    p, a = mp, mp.actors
    f = p.payments.functions
    cid, deadline, sig = _closing(p, (9 * CREDIT, 3))
    tips = (LOW_TIP, HIGH_TIP) if outbid == "customer" else (HIGH_TIP, LOW_TIP)
    redeem, settle = race(p, (a.machine, f.redeem(cid, 9 * CREDIT, 3, sig), tips[0]),
                          (a.customer, f.settle(cid), tips[1]), at=deadline + 1)
    assert settle.ok, settle
    assert_event(p.payments, "Settled", settle.receipt, paid=0, refunded=DEPOSIT)
    if outbid == "customer":
        assert (redeem.error, redeem.args) == ("ChannelNotOpen", (cid, ChannelState.SETTLED))
    else:
        assert (redeem.error, redeem.args) == ("ChallengePeriodOver", (deadline, deadline + 1))
    assert p.balance(a.payee.address) == 0


@pytest.mark.needs("automine", "automine_status", "mine", "next_timestamp", "snapshot", "trace")
def test_machine_and_watchtower_submit_the_same_receipt_in_one_block(mp: Platform):
    p, a = mp, mp.actors
    f = p.payments.functions
    cid = open_channel(p, DEPOSIT)
    sig = signed(p, a.customer, cid, 9 * CREDIT, 3)
    mine, tower = race(p, (a.machine, f.redeem(cid, 9 * CREDIT, 3, sig), LOW_TIP),
                       (a.stranger, f.redeem(cid, 9 * CREDIT, 3, sig), HIGH_TIP))
    assert tower.ok, tower
    assert (mine.error, mine.args) == ("CumulativeNotIncreasing", (9 * CREDIT, 9 * CREDIT))
    assert len(events(p.payments, "Redeemed", tower.receipt)) == 1
    assert p.balance(a.payee.address) == 9 * CREDIT
    assert p.balance(a.stranger.address) == 0


@pytest.mark.needs("automine", "automine_status", "mine", "next_timestamp", "snapshot", "trace")
def test_revoke_front_running_a_delegate_receipt_cannot_void_it(mp: Platform):
    """The customer sees the machine redeem a receipt an employee's phone signed and revokes
    the phone first, in the same block: the receipt still pays."""
    p, a = mp, mp.actors
    f = p.payments.functions
    phone = a.employees[0]
    cid = open_channel(p, DEPOSIT, [phone.address])
    sig = signed(p, phone, cid, 9 * CREDIT, 3)
    redeem, revoke = race(p, (a.machine, f.redeem(cid, 9 * CREDIT, 3, sig), LOW_TIP),
                          (a.customer, f.revokeSigner(cid, phone.address), HIGH_TIP))
    assert _first(redeem, revoke) is revoke
    assert revoke.ok, revoke
    assert redeem.ok, redeem
    assert_event(p.payments, "Redeemed", redeem.receipt, signer=phone.address,
                 amount=9 * CREDIT)
    assert p.balance(a.payee.address) == 9 * CREDIT
