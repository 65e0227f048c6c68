"""End to end with real processes: firmware on the emulated Pi, phones, board, anvil."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from emulators.nfc.application import CardAction
from emulators.phone import Behaviour, Phone
from emulators.phone.behaviour import PullAway
from rig.chain.tx import events_in_range
from rig.harness.machine_rig import MachineRig
from rig.platform.channels import channel_state

GET_LAST, SIGN = b"\x80\x12", b"\x80\x10"
NOTHING_SIGNED, STALE = b"\x6a\x88", b"\x69\x86"


def _booted(m):
    m.power_on()
    m.wait_synced()
    return m


@dataclass(eq=False)
class HidingPhone(Phone):
    """A wallet that keeps its last receipt from the machine: the first ``hide_last`` GET
    LAST RECEIPT commands answer "signed none", the first ``stale_signs`` SIGN RECEIPT
    commands "stale". The machine then first learns of the receipt it lost from a 69 86."""

    hide_last: int = 0
    stale_signs: int = 0
    commands: list[bytes] = field(default_factory=list)   # CLA INS of every command seen

    def process_apdu(self, command: bytes) -> CardAction:
        self.commands.append(command[:2])
        if command[:2] == GET_LAST and self.hide_last:
            self.hide_last -= 1
            return CardAction(NOTHING_SIGNED)
        if command[:2] == SIGN and self.stale_signs:
            self.stale_signs -= 1
            return CardAction(STALE)
        return super().process_apdu(command)


def _signed_but_lost(m: MachineRig, product: int) -> Phone:
    """Phone 1 signs receipt #1 and leaves before the machine has it."""
    phone = m.phones[0]
    phone.behaviour = Behaviour(pull_away=PullAway.BEFORE_RESPONSE)
    assert m.tap(phone, product=product).verdict == "lost"
    phone.behaviour = Behaviour()
    assert [r.sequence for r in phone.wallet.receipts()] == [1]
    assert m.status()["latest"] is None
    return phone


def _console(m: MachineRig) -> list[dict]:
    return [json.loads(line) for line in m.pi.console.read_text().splitlines()
            if line.startswith("{")]


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


def test_a_stale_answer_is_recovered_and_the_receipt_extended_in_the_same_tap(machine_factory):
    m = _booted(machine_factory())
    prices = m.rental.terms.prices
    hiding = HidingPhone(_signed_but_lost(m, product=1).wallet, hide_last=1)
    mark = m.control.mark()
    out = m.tap(hiding, product=3)    # SIGN #1 is stale: the phone signed #1 last tap
    assert out.verdict == "served" and out.sequence == 2, out
    assert hiding.commands[1:] == [GET_LAST, SIGN, GET_LAST, SIGN]   # after SELECT
    s = m.status()
    assert (s["latest"]["sequence"], s["latest"]["cumulative"]) == (2, prices[3])
    assert s["credits"] == 0          # the recovered #1 paid part of this coffee
    assert [(r.sequence, r.cumulative_amount) for r in hiding.wallet.receipts()] == [
        (1, prices[1]), (2, prices[3])]
    assert len(m.board.dispenses.records()) == 1
    tap = ["tap", "receipt-recovered", "receipt-signed", "receipt-persisted", "brew-started",
           "brew-done", "tap-done"]   # as a tap that recovers at its start: no new checkpoint
    assert [c.name for c in m.control.checkpoints[mark:] if c.name in tap] == tap
    lines = [e for e in _console(m) if e["event"] in ("sign-stale", "receipt-recovered",
                                                       "brew-done", "tap")]
    assert [e["event"] for e in lines][-4:] == ["sign-stale", "receipt-recovered", "brew-done",
                                                "tap"]
    assert all(e["phone"] == hiding.address for e in lines[-4:]), lines


def test_a_phone_stale_again_after_the_recovery_is_refused_without_a_third_sign(
        machine_factory):
    m = _booted(machine_factory())
    prices = m.rental.terms.prices
    hiding = HidingPhone(_signed_but_lost(m, product=1).wallet, hide_last=1, stale_signs=2)
    out = m.tap(hiding, product=3)
    assert out.verdict == "refused" and "stale again" in out.reason, out
    assert hiding.commands.count(SIGN) == 2
    s = m.status()                    # the recovered receipt stays adopted, as a credit
    assert s["latest"]["sequence"] == 1 and s["latest"]["origin"] == "recovered"
    assert s["credits"] == prices[1]
    assert m.board.dispenses.records() == ()
    out = m.tap(hiding, product=1)    # which pays the next coffee
    assert out.verdict == "served" and out.sequence is None
    assert m.status()["credits"] == 0


def test_a_stale_phone_whose_last_receipt_cannot_be_adopted_is_refused(machine_factory):
    m = _booted(machine_factory())
    hiding = HidingPhone(_signed_but_lost(m, product=1).wallet, hide_last=2)
    out = m.tap(hiding, product=3)
    assert out.verdict == "refused" and "cannot be adopted" in out.reason, out
    assert hiding.commands[1:] == [GET_LAST, SIGN, GET_LAST]
    assert m.status()["latest"] is None and m.board.dispenses.records() == ()


def test_every_line_of_a_refused_tap_names_the_wallet(machine_factory):
    m = _booted(machine_factory())
    phone = m.phones[1]
    phone.behaviour = Behaviour(decline=True)
    mark = m.control.mark()
    assert m.tap(phone, product=2).verdict == "refused"
    assert m.control.wait_for("tap-done", after=mark).data["phone"] == phone.address
    lines = [e for e in _console(m) if e["event"] in ("tap-refused", "tap")]
    assert [e["event"] for e in lines] == ["tap-refused", "tap"]
    assert all(e["phone"] == phone.address for e in lines), lines
