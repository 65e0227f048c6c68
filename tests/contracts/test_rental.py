"""RentalProvider: offers and their price lists, acceptance (channel, fee, deposit, supply
escrow), delivery check-in, service tickets, escrow and termination."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rig.platform import Platform
from rig.platform.channels import ChannelState, channel_state, signed
from rig.platform.deploy import CREDIT, Role
from rig.platform.rental import DEFAULT_PRICES, Rental, RentalTerms, start_rental
from tests.contracts.support import (
    assert_event,
    close_deadline,
    events,
    mined,
    only_event,
    reverts,
)

ZERO = "0x" + "00" * 20
ACTIVE, TERMINATED = 1, 2
T_OPEN, T_ACCEPTED, T_RESOLVED, T_PAID = 1, 2, 3, 4


def _list(p: Platform, terms: RentalTerms | None = None, machine: str | None = None):
    t = terms or RentalTerms()
    a = p.actors
    return p.tx(a.manufacturer, p.rental.functions.listOffer(
        machine or a.machine.address, list(t.prices), list(t.prices.values()), t.rental_fee,
        t.security_deposit, a.supplier.address, t.supply_fee, t.service_fee))


def _fund(p: Platform, amount: int) -> None:
    a = p.actors
    p.tx(a.manufacturer, p.token.functions.approve(p.rental.address, amount))
    p.tx(a.manufacturer, p.rental.functions.fundEscrow(amount))


def _approve_accept(p: Platform, t: RentalTerms) -> None:
    a = p.actors
    p.tx(a.customer, p.token.functions.approve(p.rental.address,
                                               t.rental_fee + t.security_deposit))
    p.tx(a.customer, p.token.functions.approve(p.payments.address, t.channel_deposit))


def _delivered(p: Platform, terms: RentalTerms | None = None) -> Rental:
    r = start_rental(p, terms, delegates=False)
    p.tx(p.actors.machine, p.rental.functions.checkIn(r.rental_id))
    return r


def _ticket(p: Platform, r: Rental, code: int = 0x42) -> int:
    receipt = p.tx(p.actors.machine, p.rental.functions.reportFault(r.rental_id, code))
    return only_event(p.rental, "FaultReported", receipt)["ticketId"]


def _locked(p: Platform) -> tuple[int, int]:
    m = p.actors.manufacturer.address
    return (p.rental.functions.escrow(m).call(), p.rental.functions.escrowLocked(m).call())


# ----------------------------------------------------------------------- offers

def test_list_offer_records_the_price_list(platform: Platform):
    p, a = platform, platform.actors
    t = RentalTerms()
    r = _list(p, t)
    ev = assert_event(p.rental, "OfferListed", r, manufacturer=a.manufacturer.address,
                      machine=a.machine.address, rentalFee=t.rental_fee,
                      securityDeposit=t.security_deposit, supplyFee=t.supply_fee,
                      serviceFee=t.service_fee)
    oid = ev["offerId"]
    f = p.rental.functions
    assert oid == 1 == f.offerCount().call()
    assert f.products(oid).call() == list(DEFAULT_PRICES)
    assert {pid: f.priceOf(oid, pid).call() for pid in DEFAULT_PRICES} == DEFAULT_PRICES
    assert f.priceOf(oid, 99).call() == 0
    assert tuple(f.offer(oid).call()) == (
        a.manufacturer.address, a.machine.address, a.supplier.address, False, False,
        t.rental_fee, t.security_deposit, t.supply_fee, t.service_fee)


def test_list_offer_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    m = a.machine.address

    def offer(who, machine=m, ids=(1, 2), prices=(10, 20), supplier=a.supplier.address):
        return p.tx(who, f.listOffer(machine, list(ids), list(prices), 1, 1, supplier, 1, 1))

    with reverts("MissingRole", a.customer.address, Role.Manufacturer):
        offer(a.customer)
    with reverts("UnknownMachine", a.stranger.address):
        offer(a.manufacturer, machine=a.stranger.address)
    p.tx(a.admin, p.identity.functions.onboard(a.stranger.address, Role.Manufacturer))
    with reverts("NotMachineManufacturer", m, a.stranger.address):
        offer(a.stranger)
    with reverts("MissingRole", a.customer.address, Role.Supplier):
        offer(a.manufacturer, supplier=a.customer.address)
    with reverts("PriceListMismatch", 2, 1):
        offer(a.manufacturer, prices=(10,))
    with reverts("PriceListMismatch", 0, 0):
        offer(a.manufacturer, ids=(), prices=())
    with reverts("ZeroPrice", 2):
        offer(a.manufacturer, prices=(10, 0))
    with reverts("DuplicateProduct", 1):
        offer(a.manufacturer, ids=(1, 1))
    assert f.offerCount().call() == 0


def test_withdraw_offer(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    oid = only_event(p.rental, "OfferListed", _list(p))["offerId"]
    with reverts("NotOfferManufacturer", oid, a.stranger.address):
        p.tx(a.stranger, f.withdrawOffer(oid))
    r = p.tx(a.manufacturer, f.withdrawOffer(oid))
    assert_event(p.rental, "OfferWithdrawn", r, offerId=oid)
    assert f.offer(oid).call()[4] is True
    with reverts("OfferUnavailable", oid):
        p.tx(a.manufacturer, f.withdrawOffer(oid))
    _fund(p, 1_000 * CREDIT)
    _approve_accept(p, RentalTerms())
    with reverts("OfferUnavailable", oid):
        p.tx(a.customer, f.acceptOffer(oid, RentalTerms().channel_deposit))
    with reverts("UnknownOffer", 7):
        p.tx(a.manufacturer, f.withdrawOffer(7))
    with reverts("UnknownOffer", 7):
        p.sender.call(f.offer(7))
    with reverts("UnknownOffer", 7):
        p.sender.call(f.products(7))


# ----------------------------------------------------------------------- escrow

def test_fund_and_withdraw_escrow(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    p.tx(a.manufacturer, p.token.functions.approve(p.rental.address, 100 * CREDIT))
    r = p.tx(a.manufacturer, f.fundEscrow(100 * CREDIT))
    assert_event(p.rental, "EscrowFunded", r, manufacturer=a.manufacturer.address,
                 amount=100 * CREDIT, balance=100 * CREDIT)
    assert p.balance(p.rental.address) == 100 * CREDIT
    before = p.balance(a.manufacturer.address)
    r = p.tx(a.manufacturer, f.withdrawEscrow(30 * CREDIT))
    assert_event(p.rental, "EscrowWithdrawn", r, manufacturer=a.manufacturer.address,
                 amount=30 * CREDIT, balance=70 * CREDIT)
    assert p.balance(a.manufacturer.address) == before + 30 * CREDIT
    assert _locked(p) == (70 * CREDIT, 0)


def test_escrow_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    with reverts("MissingRole", a.customer.address, Role.Manufacturer):
        p.tx(a.customer, f.fundEscrow(CREDIT))
    with reverts("ZeroAmount"):
        p.tx(a.manufacturer, f.fundEscrow(0))
    with reverts("ERC20InsufficientAllowance"):
        p.tx(a.manufacturer, f.fundEscrow(CREDIT))
    with reverts("InsufficientEscrow", a.stranger.address, 1, 0):
        p.tx(a.stranger, f.withdrawEscrow(1))
    _fund(p, 10 * CREDIT)
    with reverts("ZeroAmount"):
        p.tx(a.manufacturer, f.withdrawEscrow(0))
    with reverts("InsufficientEscrow", a.manufacturer.address, 11 * CREDIT, 10 * CREDIT):
        p.tx(a.manufacturer, f.withdrawEscrow(11 * CREDIT))


def test_locked_escrow_cannot_be_withdrawn(platform: Platform):
    p, a = platform, platform.actors
    t = RentalTerms()
    start_rental(p, t, delegates=False)
    free = t.escrow - t.supply_fee
    assert _locked(p) == (t.escrow, t.supply_fee)
    with reverts("InsufficientEscrow", a.manufacturer.address, free + 1, free):
        p.tx(a.manufacturer, p.rental.functions.withdrawEscrow(free + 1))
    p.tx(a.manufacturer, p.rental.functions.withdrawEscrow(free))
    assert _locked(p) == (t.supply_fee, t.supply_fee)


# ----------------------------------------------------------------------- acceptance

def test_accept_opens_the_channel_pays_the_fee_and_locks_deposit_and_supply_fee(
        platform: Platform):
    p, a = platform, platform.actors
    t = RentalTerms()
    _fund(p, t.escrow)
    oid = only_event(p.rental, "OfferListed", _list(p, t))["offerId"]
    _approve_accept(p, t)
    cust, manu = p.balance(a.customer.address), p.balance(a.manufacturer.address)
    r = p.tx(a.customer, p.rental.functions.acceptOffer(oid, t.channel_deposit))
    started = assert_event(p.rental, "RentalStarted", r, rentalId=1, offerId=oid,
                           customer=a.customer.address, machine=a.machine.address)
    opened = assert_event(p.payments, "ChannelOpened", r, customer=a.customer.address,
                          machine=a.machine.address, payee=a.payee.address,
                          deposit=t.channel_deposit, opener=p.rental.address)
    cid = bytes(started["channelId"])
    assert cid == bytes(opened["channelId"])
    st = channel_state(p, cid)
    assert (st.customer, st.machine, st.payee, st.deposit, st.status, st.opener) == (
        a.customer.address, a.machine.address, a.payee.address, t.channel_deposit,
        ChannelState.OPEN, p.rental.address)
    assert p.balance(a.manufacturer.address) == manu + t.rental_fee
    assert p.balance(a.customer.address) == (cust - t.rental_fee - t.security_deposit
                                             - t.channel_deposit)
    assert p.balance(p.rental.address) == t.escrow + t.security_deposit
    assert _locked(p) == (t.escrow, t.supply_fee)
    f = p.rental.functions
    assert f.activeRentalOf(a.machine.address).call() == 1
    assert tuple(f.rental(1).call()) == (oid, a.customer.address, ACTIVE, False, cid)
    assert f.offer(oid).call()[3] is True  # taken


def test_accept_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    t = RentalTerms()
    oid = only_event(p.rental, "OfferListed", _list(p, t))["offerId"]
    _approve_accept(p, t)
    with reverts("MissingRole", a.stranger.address, Role.Customer):
        p.tx(a.stranger, f.acceptOffer(oid, t.channel_deposit))
    with reverts("UnknownOffer", 9):
        p.tx(a.customer, f.acceptOffer(9, t.channel_deposit))
    # escrow insufficient: the supply fee cannot be locked
    with reverts("InsufficientEscrow", a.manufacturer.address, t.supply_fee, 0):
        p.tx(a.customer, f.acceptOffer(oid, t.channel_deposit))
    _fund(p, t.supply_fee - 1)
    with reverts("InsufficientEscrow", a.manufacturer.address, t.supply_fee, t.supply_fee - 1):
        p.tx(a.customer, f.acceptOffer(oid, t.channel_deposit))
    _fund(p, 1)
    with reverts("ZeroAmount"):
        p.tx(a.customer, f.acceptOffer(oid, 0))
    with reverts("ERC20InsufficientAllowance"):  # channel deposit above the approval
        p.tx(a.customer, f.acceptOffer(oid, t.channel_deposit + 1))
    p.tx(a.customer, p.token.functions.approve(p.rental.address, t.rental_fee))
    with reverts("ERC20InsufficientAllowance"):  # fee approved, security deposit not
        p.tx(a.customer, f.acceptOffer(oid, t.channel_deposit))
    _approve_accept(p, t)
    p.tx(a.customer, f.acceptOffer(oid, t.channel_deposit))
    with reverts("OfferUnavailable", oid):
        p.tx(a.customer, f.acceptOffer(oid, t.channel_deposit))
    second = only_event(p.rental, "OfferListed", _list(p, t))["offerId"]
    _approve_accept(p, t)
    with reverts("MachineAlreadyRented", a.machine.address, 1):
        p.tx(a.customer, f.acceptOffer(second, t.channel_deposit))


def test_accept_an_offer_for_a_machine_that_lost_its_role(platform: Platform):
    p, a = platform, platform.actors
    t = RentalTerms()
    _fund(p, t.escrow)
    oid = only_event(p.rental, "OfferListed", _list(p, t))["offerId"]
    p.tx(a.admin, p.identity.functions.revoke(a.machine.address, Role.Machine))
    _approve_accept(p, t)
    with reverts("MissingRole", a.machine.address, Role.Machine):
        p.tx(a.customer, p.rental.functions.acceptOffer(oid, t.channel_deposit))


# ----------------------------------------------------------------------- supply

def test_check_in_pays_the_supplier_once(platform: Platform):
    p, a = platform, platform.actors
    t = RentalTerms()
    rent = start_rental(p, t, delegates=False)
    f = p.rental.functions
    r = p.tx(a.machine, f.checkIn(rent.rental_id))
    assert_event(p.rental, "DeliveryAttested", r, rentalId=rent.rental_id,
                 machine=a.machine.address)
    assert_event(p.rental, "SupplierPaid", r, rentalId=rent.rental_id,
                 supplier=a.supplier.address, amount=t.supply_fee)
    assert p.balance(a.supplier.address) == t.supply_fee
    assert _locked(p) == (t.escrow - t.supply_fee, 0)
    assert f.rental(rent.rental_id).call()[3] is True
    with reverts("AlreadyDelivered", rent.rental_id):
        p.tx(a.machine, f.checkIn(rent.rental_id))
    assert p.balance(a.supplier.address) == t.supply_fee


def test_check_in_without_a_supply_fee_pays_nobody(platform: Platform):
    p, a = platform, platform.actors
    rent = start_rental(p, replace(RentalTerms(), supply_fee=0), delegates=False)
    r = p.tx(a.machine, p.rental.functions.checkIn(rent.rental_id))
    assert events(p.rental, "SupplierPaid", r) == []
    assert_event(p.rental, "DeliveryAttested", r, rentalId=rent.rental_id)
    assert p.balance(a.supplier.address) == 0


def test_check_in_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    rent = start_rental(p, delegates=False)
    with reverts("UnknownRental", 5):
        p.tx(a.machine, f.checkIn(5))
    for who in (a.customer, a.supplier, a.manufacturer, a.stranger):
        with reverts("NotRentedMachine", rent.rental_id, who.address):
            p.tx(who, f.checkIn(rent.rental_id))
    p.tx(a.admin, p.identity.functions.revoke(a.machine.address, Role.Machine))
    with reverts("MissingRole", a.machine.address, Role.Machine):
        p.tx(a.machine, f.checkIn(rent.rental_id))
    assert p.balance(a.supplier.address) == 0


# ----------------------------------------------------------------------- service

def test_fault_ticket_accept_resolve_attest_pays_the_service_provider(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    t = RentalTerms()
    rent = _delivered(p, t)
    r = p.tx(a.machine, f.reportFault(rent.rental_id, 0x0E01))
    tid = assert_event(p.rental, "FaultReported", r, rentalId=rent.rental_id,
                       machine=a.machine.address, faultCode=0x0E01)["ticketId"]
    assert tuple(f.ticket(tid).call()) == (rent.rental_id, 0x0E01, T_OPEN, ZERO)
    escrow = t.escrow - t.supply_fee
    assert _locked(p) == (escrow, 0)

    r = p.tx(a.service, f.acceptTicket(tid))
    assert_event(p.rental, "TicketAccepted", r, ticketId=tid, serviceProvider=a.service.address)
    assert _locked(p) == (escrow, t.service_fee)
    r = p.tx(a.service, f.resolveTicket(tid))
    assert_event(p.rental, "TicketResolved", r, ticketId=tid, serviceProvider=a.service.address)
    assert f.ticket(tid).call()[2] == T_RESOLVED
    r = p.tx(a.machine, f.attestFix(tid))
    assert_event(p.rental, "ServicePaid", r, ticketId=tid, serviceProvider=a.service.address,
                 amount=t.service_fee)
    assert p.balance(a.service.address) == t.service_fee
    assert _locked(p) == (escrow - t.service_fee, 0)
    assert tuple(f.ticket(tid).call()) == (rent.rental_id, 0x0E01, T_PAID, a.service.address)
    with reverts("WrongTicketStatus", tid, T_PAID):
        p.tx(a.machine, f.attestFix(tid))
    assert p.balance(a.service.address) == t.service_fee


def test_service_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    rent = start_rental(p, delegates=False)
    with reverts("NotDelivered", rent.rental_id):
        p.tx(a.machine, f.reportFault(rent.rental_id, 1))
    p.tx(a.machine, f.checkIn(rent.rental_id))
    with reverts("NotRentedMachine", rent.rental_id, a.customer.address):
        p.tx(a.customer, f.reportFault(rent.rental_id, 1))
    with reverts("UnknownRental", 3):
        p.tx(a.machine, f.reportFault(3, 1))
    tid = _ticket(p, rent)
    with reverts("UnknownTicket", 99):
        p.tx(a.service, f.acceptTicket(99))
    with reverts("UnknownTicket", 99):
        p.sender.call(f.ticket(99))
    with reverts("MissingRole", a.supplier.address, Role.ServiceProvider):
        p.tx(a.supplier, f.acceptTicket(tid))
    with reverts("WrongTicketStatus", tid, T_OPEN):
        p.tx(a.service, f.resolveTicket(tid))
    with reverts("WrongTicketStatus", tid, T_OPEN):
        p.tx(a.machine, f.attestFix(tid))
    p.tx(a.service, f.acceptTicket(tid))
    with reverts("WrongTicketStatus", tid, T_ACCEPTED):
        p.tx(a.service, f.acceptTicket(tid))
    p.tx(a.admin, p.identity.functions.onboard(a.stranger.address, Role.ServiceProvider))
    with reverts("NotTicketServiceProvider", tid, a.stranger.address):
        p.tx(a.stranger, f.resolveTicket(tid))
    with reverts("WrongTicketStatus", tid, T_ACCEPTED):
        p.tx(a.machine, f.attestFix(tid))
    p.tx(a.service, f.resolveTicket(tid))
    for who in (a.service, a.customer, a.manufacturer):
        with reverts("NotRentedMachine", rent.rental_id, who.address):
            p.tx(who, f.attestFix(tid))
    assert p.balance(a.service.address) == 0


def test_ticket_acceptance_needs_free_escrow(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    t = RentalTerms()
    rent = _delivered(p, t)
    free = t.escrow - t.supply_fee
    p.tx(a.manufacturer, f.withdrawEscrow(free - t.service_fee + 1))
    tid = _ticket(p, rent)
    with reverts("InsufficientEscrow", a.manufacturer.address, t.service_fee,
                 t.service_fee - 1):
        p.tx(a.service, f.acceptTicket(tid))
    _fund(p, 1)
    p.tx(a.service, f.acceptTicket(tid))
    assert _locked(p) == (t.service_fee, t.service_fee)


# ----------------------------------------------------------------------- termination

def _terminate_and_check(p: Platform, by) -> None:
    a = p.actors
    f = p.rental.functions
    t = RentalTerms()
    rent = start_rental(p, t)
    phone = a.employees[0]
    latest = signed(p, phone, rent.channel_id, 6 * CREDIT, 3)  # served, not yet redeemed
    before = p.balance(a.customer.address)
    r = p.tx(by, f.terminate(rent.rental_id))
    assert_event(p.rental, "RentalTerminated", r, rentalId=rent.rental_id, by=by.address,
                 depositReturned=t.security_deposit)
    deadline = close_deadline(p, r)
    assert_event(p.payments, "CloseRequested", r, channelId=rent.channel_id,
                 by=p.rental.address, deadline=p.chain.timestamp(r["blockNumber"]) + 3600)
    assert p.balance(a.customer.address) == before + t.security_deposit
    assert channel_state(p, rent.channel_id).status == ChannelState.CLOSING
    assert f.rental(rent.rental_id).call()[2] == TERMINATED
    assert f.activeRentalOf(a.machine.address).call() == 0
    assert _locked(p) == (t.escrow, 0)  # the undelivered supply fee is free again
    # the machine still redeems its latest receipt inside the window, then anyone settles
    out = mined(p, a.machine, p.payments.functions.redeem(rent.channel_id, 6 * CREDIT, 3,
                                                           latest), at=deadline)
    assert out.ok, out
    out = mined(p, a.stranger, p.payments.functions.settle(rent.channel_id), at=deadline + 1)
    assert_event(p.payments, "Settled", out.receipt, paid=6 * CREDIT,
                 refunded=t.channel_deposit - 6 * CREDIT)
    assert p.balance(a.payee.address) == 6 * CREDIT
    assert p.balance(a.customer.address) == (before + t.security_deposit + t.channel_deposit
                                             - 6 * CREDIT)
    with reverts("RentalNotActive", rent.rental_id):
        p.tx(a.customer, f.terminate(rent.rental_id))
    with reverts("RentalNotActive", rent.rental_id):
        p.tx(a.machine, f.checkIn(rent.rental_id))


@pytest.mark.needs("next_timestamp", "trace")
def test_termination_by_the_customer(platform: Platform):
    _terminate_and_check(platform, platform.actors.customer)


@pytest.mark.needs("next_timestamp", "trace")
def test_termination_by_the_manufacturer(platform: Platform):
    _terminate_and_check(platform, platform.actors.manufacturer)


def test_termination_errors(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    rent = start_rental(p, delegates=False)
    with reverts("UnknownRental", 4):
        p.tx(a.customer, f.terminate(4))
    with reverts("UnknownRental", 4):
        p.sender.call(f.rental(4))
    for who in (a.stranger, a.machine, a.supplier, a.service, a.payee):
        with reverts("NotRentalParty", rent.rental_id, who.address):
            p.tx(who, f.terminate(rent.rental_id))
    assert f.rental(rent.rental_id).call()[2] == ACTIVE


def test_termination_after_delivery_keeps_the_supplier_paid(platform: Platform):
    p, a = platform, platform.actors
    t = RentalTerms()
    rent = _delivered(p, t)
    p.tx(a.customer, p.rental.functions.terminate(rent.rental_id))
    assert _locked(p) == (t.escrow - t.supply_fee, 0)
    assert p.balance(a.supplier.address) == t.supply_fee


def test_termination_of_a_channel_already_closing_or_settled(platform: Platform):
    p, a = platform, platform.actors
    rent = start_rental(p, delegates=False)
    deadline = close_deadline(p, p.tx(a.customer,
                                      p.payments.functions.requestClose(rent.channel_id)))
    r = p.tx(a.manufacturer, p.rental.functions.terminate(rent.rental_id))
    assert events(p.payments, "CloseRequested", r) == []
    assert channel_state(p, rent.channel_id).close_deadline == deadline
    # a second rental whose channel was closed cooperatively
    second = start_rental(p, delegates=False)
    p.tx(a.machine, p.payments.functions.cooperativeClose(second.channel_id, 0, 0, b""))
    p.tx(a.customer, p.rental.functions.terminate(second.rental_id))
    assert channel_state(p, second.channel_id).status == ChannelState.SETTLED


def test_a_terminated_machine_can_be_rented_again(platform: Platform):
    p, a = platform, platform.actors
    first = start_rental(p, delegates=False)
    p.tx(a.customer, p.rental.functions.terminate(first.rental_id))
    second = start_rental(p, delegates=False)
    assert second.rental_id == first.rental_id + 1
    assert second.channel_id != first.channel_id
    assert p.rental.functions.activeRentalOf(a.machine.address).call() == second.rental_id


def test_terminating_releases_escrow_locked_for_unfinished_service_tickets(platform: Platform):
    """An accepted ticket's fee can only be paid by the machine of an active rental; after
    termination it must not stay locked in the manufacturer's escrow forever."""
    p, a = platform, platform.actors
    f = p.rental.functions
    t = RentalTerms()
    rent = _delivered(p, t)
    accepted, resolved = _ticket(p, rent), _ticket(p, rent)
    p.tx(a.service, f.acceptTicket(accepted))
    p.tx(a.service, f.acceptTicket(resolved))
    p.tx(a.service, f.resolveTicket(resolved))
    escrow = t.escrow - t.supply_fee
    assert _locked(p) == (escrow, 2 * t.service_fee)
    p.tx(a.customer, f.terminate(rent.rental_id))
    assert _locked(p) == (escrow, 0)
    with reverts("RentalNotActive", rent.rental_id):
        p.tx(a.machine, f.attestFix(resolved))
    p.tx(a.manufacturer, f.withdrawEscrow(escrow))
    assert _locked(p) == (0, 0)
    assert p.balance(p.rental.address) == 0


def test_a_ticket_of_a_terminated_rental_cannot_be_accepted(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    t = RentalTerms()
    rent = _delivered(p, t)
    tid = _ticket(p, rent)
    p.tx(a.customer, f.terminate(rent.rental_id))
    with reverts("RentalNotActive", rent.rental_id):
        p.tx(a.service, f.acceptTicket(tid))
    assert _locked(p) == (t.escrow - t.supply_fee, 0)


def test_a_paid_ticket_is_not_released_twice_on_termination(platform: Platform):
    p, a = platform, platform.actors
    f = p.rental.functions
    t = RentalTerms()
    rent = _delivered(p, t)
    paid, pending = _ticket(p, rent), _ticket(p, rent)
    for tid in (paid, pending):
        p.tx(a.service, f.acceptTicket(tid))
    p.tx(a.service, f.resolveTicket(paid))
    p.tx(a.machine, f.attestFix(paid))
    escrow = t.escrow - t.supply_fee - t.service_fee
    assert _locked(p) == (escrow, t.service_fee)
    p.tx(a.manufacturer, f.terminate(rent.rental_id))
    assert _locked(p) == (escrow, 0)
    assert p.balance(p.rental.address) == escrow
