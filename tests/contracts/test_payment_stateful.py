"""Random sequences of channel operations against a model of the PaymentProvider.

Every step mines one transaction in a block whose timestamp the model chooses, predicts its
outcome (success or the exact custom error) and then checks, from chain ground truth:

- conservation: deposits = paid to the payee + refunded to customers + locked in channels +
  withdrawable, the contract holds exactly locked + withdrawable, and the token's total
  supply is unchanged by the platform;
- monotonicity: a channel's redeemed amount and sequence never decrease and its status never
  goes backwards;
- agreement: every channel's on-chain state equals the model's.

The platform runs on a BlacklistToken so payouts to a frozen payee or customer are deferred
and later withdrawn, which puts ``withdrawable`` into the balance sheet. Each example ends by
winding everything down (release, close, settle, withdraw): then the contract must hold
nothing and every customer must have paid exactly what its channels redeemed. The run also
asserts it reached every interesting outcome at least once (``MUST_SEE``), so a change to the
strategies that silently stops exercising a path fails instead of passing vacuously.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3.contract.contract import ContractFunction

from rig.chain.node import Chain
from rig.platform import Platform
from rig.platform.channels import ChannelState, channel_state, signed
from rig.platform.deploy import CREDIT, Role
from tests.contracts.support import (
    Outcome,
    compact,
    deploy_with_token,
    events,
    high_s,
    mined,
    only_event,
    same_args,
)

OPEN, CLOSING, SETTLED = ChannelState.OPEN, ChannelState.CLOSING, ChannelState.SETTLED
FOREVER = 2**64 - 1
UNBLOCKED, BLOCK_REVERT, BLOCK_FALSE = 0, 1, 2
# Weighted towards receipts that can pass, so that the valid paths get their share.
SIGNERS = ("customer", "customer", "delegate0", "delegate1", "stranger", "high_s", "compact",
           "wrong_amount")
STEPS = (1, 1, 1, 2, 5, 0, -1)
CHANNEL = st.integers(0, 63)
MAX_LIVE = 3  # a customer's handful of channels; more would only dilute the other rules
ANY_CHANNEL = 52  # i >= this picks among all channels, settled ones included
WARPS = (3601, 1, 600, 1800, 3599, 3600, 7200)
TIMINGS = ("after deadline", "at deadline", "now")

SETTINGS = settings(max_examples=12, stateful_step_count=20, deadline=None,
                    derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def stateful_platform(platform_session: Platform, chain: Chain) -> Iterator[Platform]:
    with chain.isolated():
        p = deploy_with_token(chain, "BlacklistToken", platform_session.artifacts)
        second = p.actors.employees[1]
        p.tx(p.actors.admin, p.identity.functions.onboard(second.address, Role.Customer))
        p.tx(p.actors.admin, p.token.functions.mint(second.address, 10_000 * CREDIT))
        yield p


@dataclass
class Model:
    """What one channel should look like on chain."""

    customer: str
    deposit: int
    redeemed: int = 0
    sequence: int = 0
    status: int = OPEN
    deadline: int = 0
    delegates: dict[str, int] = field(default_factory=dict)  # signer → last valid second


@dataclass
class Expect:
    """A predicted outcome: success, or this custom error (with these arguments)."""

    error: str | None = None
    args: tuple | None = None  # None: only the error's name is checked

    def check(self, out: Outcome, what: str) -> None:
        assert out.error == self.error, f"{what}: expected {self.error or 'success'}" \
                                        f"{self.args or ''}, got {out.error}{out.args}"
        if self.error is not None and self.args is not None:
            assert same_args(out.args, self.args), f"{what}: {out.args} != {self.args}"


OK = Expect()


class PaymentMachine(RuleBasedStateMachine):
    platform: Platform
    outcomes: Counter[str] = Counter()  # "rule: outcome" over the whole run

    def __init__(self) -> None:
        super().__init__()
        p = self.p = type(self).platform
        a = p.actors
        self.snapshot = p.chain.snapshot()
        self.customers: list[LocalAccount] = [a.customer, a.employees[1]]
        self.delegates: list[LocalAccount] = [a.employees[0], a.employees[2]]
        self.holders = [a.payee.address] + [c.address for c in self.customers]
        self.now = p.chain.timestamp()
        self.supply = p.token.functions.totalSupply().call()
        self.start = {h: p.balance(h) for h in self.holders}
        self.deposited = {c.address: 0 for c in self.customers}
        self.channels: dict[bytes, Model] = {}
        self.order: list[bytes] = []
        self.seen: dict[bytes, ChannelState] = {}
        self.roles = {(c.address, Role.Customer): True for c in self.customers}
        self.roles[(a.machine.address, Role.Machine)] = True
        self.blocked: dict[str, int] = {h: UNBLOCKED for h in self.holders}
        self.withdrawable: dict[str, int] = {h: 0 for h in self.holders}
        self.consistent = True

    def teardown(self) -> None:
        try:
            if self.consistent:  # a failed step must not be buried under the wind-down
                self.wind_down()
        finally:
            self.p.chain.revert(self.snapshot)

    def wind_down(self) -> None:
        """Liquidate: release every frozen account, close and settle every channel (trying
        the last second of each window first), withdraw everything owed; then the contract
        must hold nothing and every credit is with its owner."""
        for h, holder in enumerate(self.holders):
            if self.blocked[holder] != UNBLOCKED:
                self.block(h, UNBLOCKED)
        for cid in self.order:
            ch = self.channels[cid]
            if ch.status == OPEN:
                self._request_close(cid, ch, by_customer=True)
            if ch.status == CLOSING:
                self.now = max(self.now, ch.deadline - 1)
                self.settle(cid, ch)  # at the deadline (refused) unless time is already past
                self.now = max(self.now, ch.deadline)
                self.settle(cid, ch)
        for h, holder in enumerate(self.holders):
            if self.withdrawable[holder]:
                self.withdraw(h, release=False)
        self.holds()
        assert self.p.balance(self.p.payments.address) == 0
        for c in self.customers:
            spent = sum(ch.redeemed for ch in self.channels.values() if ch.customer == c.address)
            assert self.p.balance(c.address) == self.start[c.address] - spent, c.address

    # ------------------------------------------------------------------- plumbing
    def check(self, expect: Expect, out: Outcome, what: str) -> None:
        expect.check(out, what)
        type(self).outcomes[f"{what.split('(')[0]}: {out.error or 'ok'}"] += 1
        if out.ok:
            for e in events(self.p.payments, "PayoutDeferred", out.receipt):
                type(self).outcomes["deferred"] += 1
                assert self.blocked[e["to"]] != UNBLOCKED, e

    def send(self, who: LocalAccount, fn: ContractFunction) -> Outcome:
        self.consistent = False  # until the invariants have held after this step
        self.now += 1
        return mined(self.p, who, fn, at=self.now)

    def live(self) -> int:
        return sum(ch.status != SETTLED for ch in self.channels.values())

    def pick(self, i: int, prefer: tuple[int, ...] = (OPEN, CLOSING)) -> tuple[bytes, Model]:
        """Mostly a channel in a ``prefer`` status (so the step can succeed); now and then
        any channel, to exercise the refusals."""
        fitting = [c for c in self.order if self.channels[c].status in prefer]
        pool = fitting if fitting and i < ANY_CHANNEL else self.order
        cid = pool[i % len(pool)]
        return cid, self.channels[cid]

    @staticmethod
    def valid_signer(ch: Model, signer: str, at: int) -> bool:
        """The contract's rule: the customer, or a delegate whose window includes ``at``."""
        return signer == ch.customer or at <= ch.delegates.get(signer, 0)

    def pay(self, to: str, amount: int) -> None:
        """What the contract's push-with-fallback does, as far as the model tracks it."""
        if self.blocked[to] != UNBLOCKED:
            self.withdrawable[to] += amount

    def approve(self, who: LocalAccount, amount: int) -> None:
        out = self.send(who, self.p.token.functions.approve(self.p.payments.address, amount))
        assert out.ok, out

    # ------------------------------------------------------------------- rules
    @initialize(frozen=st.lists(st.sampled_from([BLOCK_REVERT, BLOCK_FALSE, UNBLOCKED]),
                                min_size=3, max_size=3))
    def first_channel(self, frozen: list[int]) -> None:
        """Start with some holders frozen (payouts to them are deferred) and one channel."""
        for h, mode in enumerate(frozen):
            if mode != UNBLOCKED:
                self.block(h, mode)
        self.open_channel(0, 20, [0])

    @precondition(lambda self: self.live() < MAX_LIVE)
    @rule(who=st.integers(0, 1), credits=st.integers(0, 30),
          delegates=st.lists(st.integers(0, 1), max_size=2, unique=True))
    def open_channel(self, who: int, credits: int, delegates: list[int]) -> None:
        a, f = self.p.actors, self.p.payments.functions
        customer, amount = self.customers[who], credits * CREDIT
        signers = [self.delegates[d].address for d in delegates]
        if not self.roles[(customer.address, Role.Customer)]:
            expect = Expect("MissingRole", (customer.address, Role.Customer))
        elif not self.roles[(a.machine.address, Role.Machine)]:
            expect = Expect("MissingRole", (a.machine.address, Role.Machine))
        elif amount == 0:
            expect = Expect("ZeroAmount", ())
        else:
            expect = OK
        self.approve(customer, amount)
        out = self.send(customer, f.open(a.machine.address, amount, signers))
        self.check(expect, out, "open")
        if out.ok:
            cid = bytes(only_event(self.p.payments, "ChannelOpened", out.receipt)["channelId"])
            assert cid not in self.channels, "a channel id was reused"
            self.channels[cid] = Model(customer.address, amount,
                                       delegates=dict.fromkeys(signers, FOREVER))
            self.order.append(cid)
            self.deposited[customer.address] += amount

    @precondition(lambda self: self.order)
    @rule(i=CHANNEL, credits=st.integers(0, 20), by_customer=st.booleans())
    def top_up(self, i: int, credits: int, by_customer: bool) -> None:
        cid, ch = self.pick(i, prefer=(OPEN,))
        who = self._account(ch.customer) if by_customer else self.p.actors.stranger
        amount = credits * CREDIT
        if not by_customer:
            expect = Expect("NotCustomer", (cid, who.address))
        elif ch.status != OPEN:
            expect = Expect("ChannelNotOpen", (cid, ch.status))
        elif amount == 0:
            expect = Expect("ZeroAmount", ())
        else:
            expect = OK
        if by_customer:
            self.approve(who, amount)
        out = self.send(who, self.p.payments.functions.topUp(cid, amount))
        self.check(expect, out, "topUp")
        if out.ok:
            ch.deposit += amount
            self.deposited[ch.customer] += amount

    @precondition(lambda self: self.order)
    @rule(i=CHANNEL, credits=st.integers(1, 6), d=st.integers(-1, 1))
    def redeem_next(self, i: int, credits: int, d: int) -> None:
        """The machine's everyday redeem: the next receipt, by the customer or a phone."""
        signer = "customer" if d < 0 else f"delegate{d}"
        self.redeem(i, credits, 1, signer, True)

    @precondition(lambda self: self.order)
    @rule(i=CHANNEL, delta=st.integers(-1, 25), step=st.sampled_from(STEPS),
          signer=st.sampled_from(SIGNERS), by_machine=st.booleans())
    def redeem(self, i: int, delta: int, step: int, signer: str, by_machine: bool) -> None:
        a = self.p.actors
        cid, ch = self.pick(i)
        cumulative = max(0, ch.redeemed + delta * CREDIT)
        sequence = max(0, ch.sequence + step)
        key = {"delegate0": self.delegates[0], "delegate1": self.delegates[1],
               "stranger": a.stranger}.get(signer) or self._account(ch.customer)
        sig = signed(self.p, key, cid, cumulative + (signer == "wrong_amount"), sequence)
        sig = high_s(sig) if signer == "high_s" else compact(sig) if signer == "compact" else sig
        now = self.now + 1
        if ch.status == CLOSING and now > ch.deadline:
            expect = Expect("ChallengePeriodOver", (ch.deadline, now))
        elif ch.status not in (OPEN, CLOSING):
            expect = Expect("ChannelNotOpen", (cid, ch.status))
        elif cumulative <= ch.redeemed:
            expect = Expect("CumulativeNotIncreasing", (cumulative, ch.redeemed))
        elif sequence <= ch.sequence:
            expect = Expect("SequenceNotIncreasing", (sequence, ch.sequence))
        elif cumulative > ch.deposit:
            expect = Expect("ExceedsDeposit", (cumulative, ch.deposit))
        elif signer == "compact":
            expect = Expect("InvalidSignatureLength", (64,))
        elif signer == "high_s":
            expect = Expect("SignatureHighS", ())
        elif signer == "wrong_amount":
            expect = Expect("UnauthorizedSigner")
        elif self.valid_signer(ch, key.address, now):
            expect = OK
        else:
            expect = Expect("UnauthorizedSigner", (cid, key.address))
        who = a.machine if by_machine else a.stranger
        out = self.send(who, self.p.payments.functions.redeem(cid, cumulative, sequence, sig))
        self.check(expect, out, f"redeem({cumulative}, {sequence}, {signer})")
        if out.ok:
            self.pay(a.payee.address, cumulative - ch.redeemed)
            ch.redeemed, ch.sequence = cumulative, sequence

    @precondition(lambda self: self.order)
    @rule(i=CHANNEL, by_customer=st.booleans())
    def request_close(self, i: int, by_customer: bool) -> None:
        self._request_close(*self.pick(i, prefer=(OPEN,)), by_customer)

    def _request_close(self, cid: bytes, ch: Model, by_customer: bool) -> None:
        who = self._account(ch.customer) if by_customer else self.p.actors.machine
        if not by_customer:
            expect = Expect("NotCustomer", (cid, who.address))
        elif ch.status == CLOSING:
            expect = Expect("CloseAlreadyRequested", (cid, ch.deadline))
        elif ch.status != OPEN:
            expect = Expect("ChannelNotOpen", (cid, ch.status))
        else:
            expect = OK
        out = self.send(who, self.p.payments.functions.requestClose(cid))
        self.check(expect, out, "requestClose")
        if out.ok:
            ch.status, ch.deadline = CLOSING, self.now + self.p.challenge_period

    @precondition(lambda self: self.order)
    @rule(i=CHANNEL, how=st.sampled_from(["settle", "cooperative"]),
          timing=st.sampled_from(TIMINGS))
    def close(self, i: int, how: str, timing: str) -> None:
        """Settle (anyone) or close cooperatively (the machine), right away or waiting for
        the closing channel's deadline: its last second, or the first second after it. To
        settle an open channel its customer first requests the close."""
        cid, ch = self.pick(i)
        if how == "settle" and ch.status == OPEN:
            self._request_close(cid, ch, by_customer=True)
        if ch.status == CLOSING and timing != "now":
            last = ch.deadline if timing == "after deadline" else ch.deadline - 1
            self.now = max(self.now, last)  # the next block is stamped now + 1
        if how == "cooperative":
            self.cooperative_close(cid, ch)
        else:
            self.settle(cid, ch)

    def settle(self, cid: bytes, ch: Model) -> None:
        now = self.now + 1
        if ch.status != CLOSING:
            expect = Expect("ChannelNotOpen", (cid, ch.status))
        elif now <= ch.deadline:
            expect = Expect("ChallengePeriodActive", (ch.deadline, now))
        else:
            expect = OK
        out = self.send(self.p.actors.stranger, self.p.payments.functions.settle(cid))
        self.check(expect, out, "settle")
        if out.ok:
            self._settled(ch)

    def cooperative_close(self, cid: bytes, ch: Model) -> None:
        now = self.now + 1
        if ch.status not in (OPEN, CLOSING):
            expect = Expect("ChannelNotOpen", (cid, ch.status))
        elif ch.status == CLOSING and now > ch.deadline:
            expect = Expect("ChallengePeriodOver", (ch.deadline, now))
        else:
            expect = OK
        out = self.send(self.p.actors.machine, self.p.payments.functions.cooperativeClose(
            cid, ch.redeemed, ch.sequence, b""))
        self.check(expect, out, "cooperativeClose")
        if out.ok:
            self._settled(ch)

    def _settled(self, ch: Model) -> None:
        ch.status = SETTLED
        refund = ch.deposit - ch.redeemed
        if refund:
            self.pay(ch.customer, refund)

    @rule(seconds=st.sampled_from(WARPS))
    def warp(self, seconds: int) -> None:
        self.now += seconds  # the next transaction's block is stamped after the jump

    @precondition(lambda self: self.order)
    @rule(i=CHANNEL, d=st.integers(0, 1), by_customer=st.booleans())
    def authorise(self, i: int, d: int, by_customer: bool) -> None:
        cid, ch = self.pick(i, prefer=(OPEN,))
        signer = self.delegates[d].address
        who = self._account(ch.customer) if by_customer else self.delegates[d]
        if not by_customer:
            expect = Expect("NotCustomer", (cid, who.address))
        elif ch.status != OPEN:
            expect = Expect("ChannelNotOpen", (cid, ch.status))
        else:
            expect = OK
        out = self.send(who, self.p.payments.functions.authorizeSigner(cid, signer))
        self.check(expect, out, "authorizeSigner")
        if out.ok:
            ch.delegates[signer] = FOREVER

    @precondition(lambda self: self.order)
    @rule(i=CHANNEL, d=st.integers(0, 1), by_customer=st.booleans())
    def revoke(self, i: int, d: int, by_customer: bool) -> None:
        cid, ch = self.pick(i)
        signer = self.delegates[d].address
        who = self._account(ch.customer) if by_customer else self.delegates[d]
        expect = OK if by_customer else Expect("NotCustomer", (cid, who.address))
        out = self.send(who, self.p.payments.functions.revokeSigner(cid, signer))
        self.check(expect, out, "revokeSigner")
        if out.ok and signer in ch.delegates:
            ch.delegates[signer] = min(ch.delegates[signer], self.now + self.p.challenge_period)

    @rule(target_customer=st.booleans(), who=st.integers(0, 1))
    def toggle_role(self, target_customer: bool, who: int) -> None:
        a, ident = self.p.actors, self.p.identity.functions
        key = ((self.customers[who].address, Role.Customer) if target_customer
               else (a.machine.address, Role.Machine))
        fn = ident.revoke(*key) if self.roles[key] else ident.onboard(*key)
        out = self.send(a.admin, fn)
        assert out.ok, out
        self.roles[key] = not self.roles[key]

    @rule(h=st.integers(0, 2), mode=st.sampled_from([BLOCK_REVERT, BLOCK_FALSE, UNBLOCKED]))
    def block(self, h: int, mode: int) -> None:
        holder = self.holders[h]
        out = self.send(self.p.actors.stranger, self.p.token.functions.setBlocked(holder, mode))
        assert out.ok, out
        self.blocked[holder] = mode

    @rule(h=st.integers(0, 2), release=st.booleans())
    def withdraw(self, h: int, release: bool) -> None:
        """A holder that is owed (else holder ``h``) withdraws what was deferred, after its
        account is released or while it is still frozen."""
        owed_most = max(range(len(self.holders)), key=lambda k: self.withdrawable[self.holders[k]])
        if self.withdrawable[self.holders[owed_most]]:
            h = owed_most
        holder = self.holders[h]
        if release:
            self.block(h, UNBLOCKED)
        owed = self.withdrawable[holder]
        if owed == 0:
            expect = Expect("NothingToWithdraw", (holder,))
        elif self.blocked[holder] == BLOCK_REVERT:
            expect = Expect("ReceiverBlocked", (holder,))
        elif self.blocked[holder] == BLOCK_FALSE:
            expect = Expect("SafeERC20FailedOperation", (self.p.token.address,))
        else:
            expect = OK
        out = self.send(self._account(holder), self.p.payments.functions.withdraw())
        self.check(expect, out, "withdraw")
        if out.ok:
            self.withdrawable[holder] = 0

    def _account(self, address: str) -> LocalAccount:
        a = self.p.actors
        return next(x for x in (a.payee, *self.customers) if x.address == address)

    # ------------------------------------------------------------------- invariants
    @invariant()
    def holds(self) -> None:
        self.chain_agrees_with_the_model_and_never_goes_backwards()
        self.funds_are_conserved()
        self.consistent = True

    def chain_agrees_with_the_model_and_never_goes_backwards(self) -> None:
        for cid, ch in self.channels.items():
            st_ = channel_state(self.p, cid)
            assert (st_.customer, st_.deposit, st_.redeemed, st_.sequence, st_.status,
                    st_.close_deadline) == (ch.customer, ch.deposit, ch.redeemed,
                                            ch.sequence, ch.status, ch.deadline), cid.hex()
            before = self.seen.get(cid)
            if before is not None:
                assert st_.redeemed >= before.redeemed
                assert st_.sequence >= before.sequence
                assert st_.status >= before.status
                assert st_.deposit >= before.deposit
            self.seen[cid] = st_

    def funds_are_conserved(self) -> None:
        p = self.p
        a = p.actors
        pp = p.payments.functions
        assert p.token.functions.totalSupply().call() == self.supply
        owed = {h: pp.withdrawable(h).call() for h in self.holders}
        assert owed == self.withdrawable
        live = [ch for ch in self.channels.values() if ch.status != SETTLED]
        locked = sum(ch.deposit - ch.redeemed for ch in live)
        withdrawable = sum(owed.values())
        assert p.balance(p.payments.address) == locked + withdrawable

        paid = p.balance(a.payee.address) - self.start[a.payee.address]
        assert paid + owed[a.payee.address] == sum(ch.redeemed for ch in self.channels.values())
        refunded = 0
        for c in self.customers:
            got = p.balance(c.address) - self.start[c.address] + self.deposited[c.address]
            due = sum(ch.deposit - ch.redeemed for ch in self.channels.values()
                      if ch.customer == c.address and ch.status == SETTLED)
            assert got + owed[c.address] == due, c.address
            refunded += got
        assert sum(self.deposited.values()) == paid + refunded + locked + withdrawable


# Outcomes the run must have reached at least once, or it proved little.
MUST_SEE = ("open: ok", "topUp: ok", "redeem: ok", "redeem: UnauthorizedSigner",
            "requestClose: ok", "settle: ok", "settle: ChallengePeriodActive",
            "cooperativeClose: ok", "deferred", "withdraw: ok")


@pytest.mark.needs("snapshot")
def test_payment_channels_keep_their_invariants(stateful_platform: Platform):
    PaymentMachine.platform = stateful_platform
    PaymentMachine.outcomes = Counter()
    run_state_machine_as_test(PaymentMachine, settings=SETTINGS)
    missing = [k for k in MUST_SEE if not PaymentMachine.outcomes[k]]
    assert not missing, f"the run never reached {missing}: {dict(PaymentMachine.outcomes)}"
