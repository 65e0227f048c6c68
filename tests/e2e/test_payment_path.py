"""End to end with real processes: firmware on the emulated Pi, phones, board, anvil."""

from __future__ import annotations

import threading

from emulators.phone import Behaviour
from emulators.phone.behaviour import PullAway
from rig.chain.tx import events_in_range
from rig.platform.channels import channel_state


def _booted(m):
    m.power_on()
    m.wait_synced()
    return m


def test_one_coffee_paid_brewed_and_redeemed(machine_factory):
    m = _booted(machine_factory())
    phone = m.phones[0]
    out = m.tap(phone, product=2)
    assert out.verdict == "served", out
    price = m.rental.terms.prices[2]
    (signed,) = phone.wallet.receipts()
    assert (signed.sequence, signed.cumulative_amount) == (1, price)
    (dispensed,) = m.board.dispenses.records()
    assert dispensed.product_id == 2 and dispensed.brew_id == out.brew_id
    m.control.request("redeem")
    m.wait_until(lambda s: any(t["kind"] == "redeem" and t["state"] == "confirmed"
                               for t in s["outbox"]), what="redeem confirmed")
    assert channel_state(m.platform, m.rental.channel_id).redeemed == price


def test_supply_first_boot_checks_in_and_pays_the_supplier(machine_factory):
    m = machine_factory()
    p, a = m.platform, m.platform.actors
    before = p.balance(a.supplier.address)
    _booted(m)
    m.wait_until(lambda s: s["checked_in"], what="checked in")
    assert p.balance(a.supplier.address) - before == m.rental.terms.supply_fee
    assert p.rental.functions.rental(m.rental.rental_id).call()[3] is True
    m.shutdown()
    _booted(m)  # a second boot never checks in (or pays) again
    m.wait_until(lambda s: not s["open_tx"], what="idle")
    assert len(events_in_range(p.rental, "DeliveryAttested")) == 1


def test_service_fault_ticket_resolved_fix_attested_and_paid(machine_factory):
    m = _booted(machine_factory())
    p, a = m.platform, m.platform.actors
    m.wait_until(lambda s: s["checked_in"], what="checked in")
    m.sensors.status_mcu.set_door_open(False)
    m.sensors.tmp102.set_temperature(181.0)
    s = m.wait_until(lambda s: any(t.get("state") == "open" for t in s["tickets"].values()),
                     what="ticket opened")
    (ticket,) = [t["ticket"] for t in s["tickets"].values()]
    out = m.tap(m.phones[0], product=1)
    assert out.verdict == "refused" and "boiler" in out.reason  # no coffee while unsafe
    before = p.balance(a.service.address)
    p.tx(a.service, p.rental.functions.acceptTicket(ticket))
    p.tx(a.service, p.rental.functions.resolveTicket(ticket))
    m.sensors.tmp102.set_temperature(93.0)
    m.wait_until(lambda s: all(t["state"] == "done" for t in s["tickets"].values())
                 and not s["open_tx"], what="fix attested")
    assert p.balance(a.service.address) - before == m.rental.terms.service_fee
    assert m.tap(m.phones[0], product=1).verdict == "served"


def test_phone_pulled_away_before_the_response_is_recovered_as_a_credit(machine_factory):
    m = _booted(machine_factory())
    phone = m.phones[0]
    phone.behaviour = Behaviour(pull_away=PullAway.BEFORE_RESPONSE)
    out = m.tap(phone, product=1)
    assert out.verdict == "lost"
    assert len(phone.wallet.receipts()) == 1   # the phone signed: money may be owed
    assert m.board.dispenses.records() == ()   # but no coffee yet
    assert m.status()["latest"] is None        # and the machine has nothing half-done
    phone.behaviour = Behaviour()
    out = m.tap(phone, product=1)              # GET LAST RECEIPT recovers it as a credit
    assert out.verdict == "served" and out.sequence is None
    s = m.status()
    assert s["latest"]["sequence"] == 1 and s["latest"]["origin"] == "recovered"
    assert s["credits"] == 0
    assert len(m.board.dispenses.records()) == 1
    assert len(phone.wallet.receipts()) == 1   # the free coffee needed no new receipt


def test_phone_pulled_away_mid_sign_leaves_no_state(machine_factory):
    m = _booted(machine_factory())
    phone = m.phones[1]
    phone.behaviour = Behaviour(pull_away=PullAway.MID_SIGN)
    assert m.tap(phone, product=3).verdict == "lost"
    assert phone.wallet.receipts() == ()
    assert m.status()["latest"] is None and m.board.dispenses.records() == ()
    phone.behaviour = Behaviour()
    out = m.tap(phone, product=3)
    assert out.verdict == "served" and out.sequence == 1


def test_declined_purchase_charges_nothing_and_serves_nothing(machine_factory):
    m = _booted(machine_factory())
    phone = m.phones[2]
    phone.behaviour = Behaviour(decline=True)
    out = m.tap(phone, product=4)
    assert out.verdict == "refused" and "Declined" in out.reason
    assert phone.wallet.receipts() == () and m.board.dispenses.records() == ()
    assert m.tap(m.phones[0], product=4).sequence == 1  # the chain of receipts goes on


def test_bad_signature_is_refused(machine_factory):
    from emulators.phone.behaviour import BadSignature

    m = _booted(machine_factory())
    m.phones[0].behaviour = Behaviour(bad_signature=BadSignature.WRONG_KEY)
    out = m.tap(m.phones[0], product=1)
    assert out.verdict == "refused" and "not authorised" in out.reason
    assert m.board.dispenses.records() == () and m.status()["latest"] is None


def test_clean_restart_between_coffees_keeps_the_receipt_chain(machine_factory):
    m = _booted(machine_factory())
    assert m.tap(m.phones[0], product=1).sequence == 1
    assert m.pi.shutdown() == 0
    _booted(m)
    out = m.tap(m.phones[1], product=2)
    assert out.verdict == "served" and out.sequence == 2
    assert m.status()["boot"] == 2
    prices = m.rental.terms.prices
    assert m.status()["latest"]["cumulative"] == prices[1] + prices[2]
    brews = [d.brew_id for d in m.board.dispenses.records()]
    assert len(set(brews)) == 2 and brews[1] > brews[0]


def test_power_cut_after_persist_before_brew_becomes_a_credit(machine_factory):
    m = machine_factory(hold=("receipt-persisted",))
    _booted(m)
    mark = m.control.mark()
    m.select(3)
    m.field.present(m.phones[0])
    m.control.wait_for("receipt-persisted", after=mark)
    m.field.remove()
    m.power_cut()                       # paid and durable, never brewed
    assert m.board.dispenses.records() == ()
    m.write_config_hold(())             # boot 2 holds nothing
    _booted(m)
    s = m.wait_until(lambda s: not s["unfinished_brews"], what="brew resolved")
    assert s["credits"] == m.rental.terms.prices[3]
    out = m.tap(m.phones[1], product=3)  # the credit pays the next coffee
    assert out.verdict == "served" and out.sequence is None
    assert m.status()["credits"] == 0
    assert len(m.board.dispenses.records()) == 1


def test_power_cut_mid_tap_takes_the_phone_away_and_reports_the_tap_interrupted(
        machine_factory):
    m = machine_factory(hold=("tap",))   # the phone is on the reader, the machine at "tap"
    _booted(m)
    mark = m.control.mark()

    def cut_at_tap() -> None:
        m.control.wait_for("tap", after=mark)
        m.power_cut()

    cutter = threading.Thread(target=cut_at_tap, daemon=True)
    cutter.start()
    out = m.tap(m.phones[0], product=1, timeout=8.0)
    cutter.join()
    assert out.verdict == "interrupted" and out.reason == "the machine lost power"
    assert out.ended == "removed"        # taken off the dark reader, not left to time out
    assert m.phones[0].wallet.receipts() == () and m.board.dispenses.records() == ()
