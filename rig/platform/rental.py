"""Fixture a rental: an offer for the machine, accepted by the customer, channel funded."""

from __future__ import annotations

from dataclasses import dataclass, field

from rig.chain.tx import events
from rig.platform.deploy import CREDIT, Platform

# product id → price in token base units (an espresso, a coffee, a cappuccino, a latte)
DEFAULT_PRICES: dict[int, int] = {1: 150_000, 2: 200_000, 3: 250_000, 4: 300_000}


@dataclass(frozen=True)
class RentalTerms:
    prices: dict[int, int] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    rental_fee: int = 120 * CREDIT
    security_deposit: int = 300 * CREDIT
    supply_fee: int = 80 * CREDIT
    service_fee: int = 60 * CREDIT
    channel_deposit: int = 50 * CREDIT
    escrow: int = 1_000 * CREDIT


@dataclass(frozen=True)
class Rental:
    offer_id: int
    rental_id: int
    channel_id: bytes
    terms: RentalTerms


def start_rental(p: Platform, terms: RentalTerms | None = None,
                 delegates: bool = True) -> Rental:
    """List, fund escrow, accept; authorise every employee's phone as a delegate signer."""
    t = terms or RentalTerms()
    a = p.actors
    rp = p.rental.functions
    p.tx(a.manufacturer, p.token.functions.approve(p.rental.address, t.escrow))
    p.tx(a.manufacturer, rp.fundEscrow(t.escrow))
    receipt = p.tx(a.manufacturer, rp.listOffer(
        a.machine.address, list(t.prices), list(t.prices.values()), t.rental_fee,
        t.security_deposit, a.supplier.address, t.supply_fee, t.service_fee))
    offer_id = events(p.rental, "OfferListed", receipt)[0]["offerId"]
    p.tx(a.customer, p.token.functions.approve(p.rental.address,
                                               t.rental_fee + t.security_deposit))
    p.tx(a.customer, p.token.functions.approve(p.payments.address, t.channel_deposit))
    receipt = p.tx(a.customer, rp.acceptOffer(offer_id, t.channel_deposit))
    started = events(p.rental, "RentalStarted", receipt)[0]
    channel_id = bytes(started["channelId"])
    if delegates:
        for e in a.employees:
            p.tx(a.customer, p.payments.functions.authorizeSigner(channel_id, e.address))
    return Rental(offer_id, started["rentalId"], channel_id, t)
