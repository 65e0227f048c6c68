"""Every entry point called by the wrong role gets the right custom error, naming the caller.

One rental is set up for the module (delivered, tickets open / accepted / resolved, a second
offer listed); each case calls one entry point as one wrong actor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from eth_utils import keccak

from rig.chain.node import Chain
from rig.platform import Platform
from rig.platform.deploy import CREDIT, Role
from rig.platform.rental import Rental, RentalTerms, start_rental
from tests.contracts.support import only_event, reverts

MINTER = keccak(text="MINTER_ROLE")


@dataclass(frozen=True)
class World:
    p: Platform
    rent: Rental
    spare_offer: int
    ticket_open: int
    ticket_accepted: int
    ticket_resolved: int
    rival_service: str


@pytest.fixture(scope="module")
def world(platform_session: Platform, chain: Chain) -> Iterator[World]:
    p, a = platform_session, platform_session.actors
    f = p.rental.functions
    with chain.isolated():
        rent = start_rental(p, RentalTerms())
        p.tx(a.machine, f.checkIn(rent.rental_id))
        tickets = []
        for code in (1, 2, 3):
            r = p.tx(a.machine, f.reportFault(rent.rental_id, code))
            tickets.append(only_event(p.rental, "FaultReported", r)["ticketId"])
        p.tx(a.service, f.acceptTicket(tickets[1]))
        p.tx(a.service, f.acceptTicket(tickets[2]))
        p.tx(a.service, f.resolveTicket(tickets[2]))
        r = p.tx(a.manufacturer, f.listOffer(a.machine.address, [1], [CREDIT], 0, 0,
                                             a.supplier.address, 0, 0))
        spare = only_event(p.rental, "OfferListed", r)["offerId"]
        rival = a.employees[2]
        p.tx(a.admin, p.identity.functions.onboard(rival.address, Role.ServiceProvider))
        yield World(p, rent, spare, *tickets, rival.address)


@pytest.fixture
def w(world: World, chain: Chain) -> Iterator[World]:
    with chain.isolated():
        yield world


Call = Callable[[World], object]
Expect = Callable[[World, str], tuple]


@dataclass(frozen=True)
class Case:
    entry: str
    callers: tuple[str, ...]
    call: Call
    error: str
    args: Expect


def _i(w: World):
    return w.p.identity.functions


def _pp(w: World):
    return w.p.payments.functions


def _r(w: World):
    return w.p.rental.functions


def _cid(w: World) -> bytes:
    return w.rent.channel_id


CASES = [
    # IdentityProvider
    Case("identity.onboard", ("manufacturer", "customer", "machine", "stranger"),
         lambda w: _i(w).onboard(w.p.actors.stranger.address, Role.Customer),
         "MissingRole", lambda w, c: (c, Role.Admin)),
    Case("identity.revoke", ("manufacturer", "customer", "service"),
         lambda w: _i(w).revoke(w.p.actors.customer.address, Role.Customer),
         "MissingRole", lambda w, c: (c, Role.Admin)),
    Case("identity.registerMachine", ("admin", "customer", "supplier"),
         lambda w: _i(w).registerMachine(w.p.actors.stranger.address, w.p.actors.payee.address),
         "MissingRole", lambda w, c: (c, Role.Manufacturer)),
    Case("identity.setMachinePayee", ("admin", "customer", "machine", "stranger"),
         lambda w: _i(w).setMachinePayee(w.p.actors.machine.address, w.p.actors.stranger.address),
         "NotMachineManufacturer", lambda w, c: (w.p.actors.machine.address, c)),
    # CreditToken
    Case("token.mint", ("manufacturer", "second_admin", "stranger"),
         lambda w: w.p.token.functions.mint(w.p.actors.stranger.address, 1),
         "AccessControlUnauthorizedAccount", lambda w, c: (c, MINTER)),
    # PaymentProvider
    Case("payments.setOpener", ("manufacturer", "customer", "machine"),
         lambda w: _pp(w).setOpener(w.p.actors.stranger.address, True),
         "MissingRole", lambda w, c: (c, Role.Admin)),
    Case("payments.open", ("supplier", "machine", "manufacturer", "stranger"),
         lambda w: _pp(w).open(w.p.actors.machine.address, CREDIT, []),
         "MissingRole", lambda w, c: (c, Role.Customer)),
    Case("payments.openFor", ("customer", "admin", "machine"),
         lambda w: _pp(w).openFor(w.p.actors.customer.address, w.p.actors.machine.address,
                                  CREDIT),
         "NotOpener", lambda w, c: (c,)),
    Case("payments.topUp", ("employee", "machine", "payee", "manufacturer"),
         lambda w: _pp(w).topUp(_cid(w), CREDIT),
         "NotCustomer", lambda w, c: (_cid(w), c)),
    Case("payments.authorizeSigner", ("employee", "machine", "stranger"),
         lambda w: _pp(w).authorizeSigner(_cid(w), w.p.actors.stranger.address),
         "NotCustomer", lambda w, c: (_cid(w), c)),
    Case("payments.revokeSigner", ("employee", "machine", "stranger"),
         lambda w: _pp(w).revokeSigner(_cid(w), w.p.actors.employees[0].address),
         "NotCustomer", lambda w, c: (_cid(w), c)),
    Case("payments.cooperativeClose", ("customer", "payee", "employee", "manufacturer"),
         lambda w: _pp(w).cooperativeClose(_cid(w), 0, 0, b""),
         "NotMachine", lambda w, c: (_cid(w), c)),
    Case("payments.requestClose", ("machine", "payee", "employee", "manufacturer"),
         lambda w: _pp(w).requestClose(_cid(w)),
         "NotCustomer", lambda w, c: (_cid(w), c)),
    Case("payments.withdraw", ("stranger", "customer"),
         lambda w: _pp(w).withdraw(), "NothingToWithdraw", lambda w, c: (c,)),
    # RentalProvider
    Case("rental.fundEscrow", ("customer", "supplier", "admin"),
         lambda w: _r(w).fundEscrow(CREDIT),
         "MissingRole", lambda w, c: (c, Role.Manufacturer)),
    Case("rental.withdrawEscrow", ("customer", "supplier", "stranger"),
         lambda w: _r(w).withdrawEscrow(CREDIT),
         "InsufficientEscrow", lambda w, c: (c, CREDIT, 0)),
    Case("rental.listOffer", ("customer", "admin", "machine"),
         lambda w: _r(w).listOffer(w.p.actors.machine.address, [1], [CREDIT], 0, 0,
                                   w.p.actors.supplier.address, 0, 0),
         "MissingRole", lambda w, c: (c, Role.Manufacturer)),
    Case("rental.withdrawOffer", ("customer", "admin", "supplier"),
         lambda w: _r(w).withdrawOffer(w.spare_offer),
         "NotOfferManufacturer", lambda w, c: (w.spare_offer, c)),
    Case("rental.acceptOffer", ("manufacturer", "supplier", "machine"),
         lambda w: _r(w).acceptOffer(w.spare_offer, CREDIT),
         "MissingRole", lambda w, c: (c, Role.Customer)),
    Case("rental.checkIn", ("customer", "supplier", "manufacturer"),
         lambda w: _r(w).checkIn(w.rent.rental_id),
         "NotRentedMachine", lambda w, c: (w.rent.rental_id, c)),
    Case("rental.reportFault", ("customer", "service", "manufacturer"),
         lambda w: _r(w).reportFault(w.rent.rental_id, 9),
         "NotRentedMachine", lambda w, c: (w.rent.rental_id, c)),
    Case("rental.acceptTicket", ("customer", "supplier", "machine", "manufacturer"),
         lambda w: _r(w).acceptTicket(w.ticket_open),
         "MissingRole", lambda w, c: (c, Role.ServiceProvider)),
    Case("rental.resolveTicket", ("rival_service", "customer", "machine"),
         lambda w: _r(w).resolveTicket(w.ticket_accepted),
         "NotTicketServiceProvider", lambda w, c: (w.ticket_accepted, c)),
    Case("rental.attestFix", ("service", "customer", "manufacturer"),
         lambda w: _r(w).attestFix(w.ticket_resolved),
         "NotRentedMachine", lambda w, c: (w.rent.rental_id, c)),
    Case("rental.terminate", ("stranger", "machine", "supplier", "service", "payee"),
         lambda w: _r(w).terminate(w.rent.rental_id),
         "NotRentalParty", lambda w, c: (w.rent.rental_id, c)),
]


def _account(w: World, name: str):
    a = w.p.actors
    if name == "employee":  # an authorised delegate of the rental's channel
        return a.employees[0]
    if name == "rival_service":
        return next(e for e in a.employees if e.address == w.rival_service)
    return getattr(a, name)


@pytest.mark.parametrize(("case", "caller"), [
    pytest.param(case, caller, id=f"{case.entry}-by-{caller}")
    for case in CASES for caller in case.callers])
@pytest.mark.needs("snapshot")
def test_wrong_role_is_refused(w: World, case: Case, caller: str):
    who = _account(w, caller)
    with reverts(case.error, *case.args(w, who.address)):
        w.p.tx(who, case.call(w))


def test_every_state_changing_entry_point_is_covered(platform_session: Platform):
    """A new external function must get its row here."""
    p = platform_session
    covered = {c.entry for c in CASES}
    exempt = {"token.approve", "token.transfer", "token.transferFrom", "token.burn",
              "token.grantRole", "token.revokeRole", "token.renounceRole",
              # anyone may submit a receipt (the signature authorises) or settle after
              # the deadline
              "payments.redeem", "payments.settle"}
    for prefix, contract in (("identity", p.identity), ("payments", p.payments),
                             ("rental", p.rental), ("token", p.token)):
        for item in contract.abi:
            if item.get("type") == "function" and item["stateMutability"] in (
                    "nonpayable", "payable"):
                name = f"{prefix}.{item['name']}"
                assert name in covered or name in exempt, f"{name} has no role-violation case"
