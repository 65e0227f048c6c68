"""Device and clock faults fired at a real machine (firmware process, emulated parts, anvil).

Each test fires the catalog's kinds through ``make_fault`` the way a scenario does,
observes the effect the fault must have, heals it and checks the machine is whole again.
One machine per family keeps the file fast.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from emulators.phone import Behaviour, PullAway
from rig.faults import Fault, FaultContext, FaultError, Timeline, make_fault
from rig.harness.machine_rig import MachineRig
from rig.harness.people import TapNotBegun


@dataclass
class Injector:
    """Fires and heals faults on one machine, as the scenario runner does."""

    machine: MachineRig
    rng: random.Random
    timeline: Timeline = field(default_factory=Timeline)

    @property
    def ctx(self) -> FaultContext:
        return FaultContext(self.machine, self.rng, self.timeline)

    def fire(self, kind: str, **params: object) -> Fault:
        fault = make_fault(kind, params)
        fault.fire(self.ctx)
        return fault

    def heal(self, fault: Fault) -> None:
        fault.heal(self.ctx)


def _booted(m: MachineRig) -> MachineRig:
    m.power_on()
    m.wait_synced()
    return m


def _codes(status: dict) -> set[int]:
    return {code for code, _ in status["sensor_faults"]}


def _dispensed(m: MachineRig) -> list[int]:
    return [d.brew_id for d in m.board.dispenses.records()]


def _redeemed(m: MachineRig, sequence: int, timeout: float = 15.0) -> dict:
    return m.wait_until(lambda s: any(t["kind"] == "redeem" and t["state"] == "confirmed"
                                      and t["meta"]["sequence"] == sequence
                                      for t in s["outbox"]),
                        timeout=timeout, what=f"redeem of receipt #{sequence} confirmed")


# ---------------------------------------------------------------------------------- NFC
def test_nfc_faults_misbehave_the_phone_and_heal_to_a_good_phone(machine_factory, rng):
    m = _booted(machine_factory())
    faults = Injector(m, rng)
    one, two, three = m.phones
    with pytest.raises(FaultError, match=r"phone 4 does not exist; the machine has 3"):
        faults.fire("nfc.decline", phone=4)

    for when in ("after-select", "mid-sign"):          # gone before it signed anything
        f = faults.fire("nfc.pull_away", phone=1, when=when)
        assert one.behaviour.pull_away is PullAway(when)
        assert m.tap(one, product=1).verdict == "lost"
        assert one.wallet.receipts() == () and m.status()["latest"] is None
        faults.heal(f)
        assert one.behaviour == Behaviour()

    f = faults.fire("nfc.pull_away", phone=1, when="before-response")
    assert m.tap(one, product=1).verdict == "lost"     # signed, but the machine never saw it
    assert len(one.wallet.receipts()) == 1 and _dispensed(m) == []
    faults.heal(f)
    out = m.tap(one, product=1)                        # GET LAST RECEIPT: a credit, served
    assert out.verdict == "served" and out.sequence is None
    s = m.status()
    assert s["latest"]["sequence"] == 1 and s["latest"]["origin"] == "recovered"
    assert s["credits"] == 0 and len(_dispensed(m)) == 1

    f = faults.fire("nfc.slow", phone=2, seconds=1.0)
    mark = m.control.mark()
    out = m.tap(two, product=2)
    assert out.verdict == "served" and out.sequence == 2  # the link held through S(WTX)
    timings = m.control.wait_for("tap-done", after=mark).data["timings_ms"]
    assert timings["nfc"] >= 1000.0                    # the reader really waited for the phone
    faults.heal(f)
    assert two.behaviour == Behaviour()

    refused = [("nfc.decline", {}, "Declined"),
               ("nfc.bad_signature", {"mode": "wrong-key"}, "not authorised"),
               ("nfc.bad_signature", {"mode": "corrupted"}, ""),
               ("nfc.replay_signature", {}, "")]
    for kind, params, reason in refused:
        f = faults.fire(kind, phone=3, **params)
        assert three.behaviour != Behaviour()
        out = m.tap(three, product=3)
        assert out.verdict == "refused" and reason in out.reason, (kind, params, out)
        assert three.wallet.receipts() == () and len(_dispensed(m)) == 2
        faults.heal(f)
        assert three.behaviour == Behaviour()
    out = m.tap(three, product=3)                      # healed: the receipt chain goes on
    assert out.verdict == "served" and out.sequence == 3
    assert m.status()["latest"]["cumulative"] == sum(m.rental.terms.prices[p] for p in (1, 2, 3))


# ---------------------------------------------------------------------------------- I2C
def test_i2c_faults_raise_sensor_faults_refuse_coffee_and_clear_when_healed(machine_factory,
                                                                           rng):
    m = _booted(machine_factory())
    faults = Injector(m, rng)
    phone = m.phones[0]
    m.wait_until(lambda s: s["checked_in"] and not s["open_tx"], what="checked in")

    cases = [("i2c.out_of_range", "tmp102", 0x0131, "boiler"),
             ("i2c.nack", "tmp102", 0x0110, "boiler"),
             ("i2c.stuck", "status_mcu", 0x0340, "")]
    for kind, device, code, reason in cases:
        f = faults.fire(kind, device=device)
        m.wait_until(lambda s, c=code: c in _codes(s), mine=False, what=f"{kind} 0x{code:04x}")
        out = m.tap(phone, product=1)
        assert out.verdict == "refused" and reason in out.reason, (kind, device, out)
        if code == 0x0131:                             # reported on-chain as a service ticket
            m.wait_until(lambda s: s["tickets"].get(str(0x0131), {}).get("state") == "open",
                         what="ticket for the overheated boiler opened")
        faults.heal(f)
        m.wait_until(lambda s: not s["sensor_faults"], mine=False, what=f"{kind} cleared")
    assert _dispensed(m) == [] and phone.wallet.receipts() == ()

    f = faults.fire("i2c.missing", device="ina219", at_boot=True)  # unplugged at boot
    s = m.wait_until(lambda s: 0x0220 in _codes(s), mine=False, what="ina219 missing")
    assert s["boot"] == 2
    out = m.tap(phone, product=1)
    assert out.verdict == "refused" and "boiler" in out.reason
    faults.heal(f)
    m.wait_until(lambda s: not s["sensor_faults"], mine=False, what="ina219 back")
    out = m.tap(phone, product=1)
    assert out.verdict == "served" and out.sequence == 1 and len(_dispensed(m)) == 1


# ---------------------------------------------------------------------------------- serial
def test_serial_faults_keep_exactly_one_dispense_per_paid_coffee(machine_factory, rng):
    m = _booted(machine_factory())
    faults = Injector(m, rng)
    prices = m.rental.terms.prices
    one, two, _ = m.phones

    f = faults.fire("serial.no_water")
    out = m.tap(one, product=1)
    assert out.verdict == "credited" and "NO_WATER" in out.reason
    assert _dispensed(m) == [] and m.status()["credits"] == prices[1]
    faults.heal(f)
    out = m.tap(two, product=1)                        # the credit pays the next coffee
    assert out.verdict == "served" and out.sequence is None
    assert m.status()["credits"] == 0 and _dispensed(m) == [out.brew_id]

    for kind, params in (("serial.lost_reply", {"verb": "ACK"}),
                         ("serial.lost_reply", {"verb": "DONE"}),
                         ("serial.garbage", {"max_lines": 2, "direction": "both"})):
        before = len(m.board.fault_events())
        f = faults.fire(kind, **params)
        out = m.tap(one, product=2)
        assert out.verdict in ("served", "pending"), (kind, params, out)
        m.wait_until(lambda s: not s["unfinished_brews"], mine=False, what="brew resolved")
        assert len(m.board.fault_events()) > before, f"{kind} {params} never hit the line"
        assert _dispensed(m)[-1] == out.brew_id, (kind, params)
        faults.heal(f)
        assert m.board.active_faults() == ()

    f = faults.fire("serial.timeout")
    out = m.tap(two, product=3)
    assert out.verdict == "pending" and out.brew_id not in _dispensed(m)
    assert m.status()["unfinished_brews"] == [out.brew_id]  # paid, fate unknown while silent
    faults.heal(f)
    s = m.wait_until(lambda s: not s["unfinished_brews"], mine=False, what="brew resolved")
    assert s["credits"] == prices[3]                   # the board never got it: owed back
    assert m.tap(two, product=3).sequence is None and m.status()["credits"] == 0

    brews = _dispensed(m)
    assert len(brews) == len(set(brews)) == 5
    assert m.status()["latest"]["cumulative"] == prices[1] + 3 * prices[2] + prices[3]


# ---------------------------------------------------------------------------------- clock
def _not_redeemed(m: MachineRig, sequence: int) -> None:
    """Two full sync rounds after now decided against redeeming receipt ``sequence``."""
    m.wait_synced()
    m.wait_synced()
    assert not any(t["kind"] == "redeem" and t["meta"]["sequence"] == sequence
                   for t in m.status()["outbox"]), f"receipt #{sequence} redeemed early"


def test_rtc_reset_at_boot_still_redeems_and_heal_restores_the_time(machine_factory, rng):
    m = _booted(machine_factory(redeem_interval=3600))
    faults = Injector(m, rng)
    phone = m.phones[0]
    assert m.tap(phone, product=1).verdict == "served"
    for _ in range(2):  # a round started after the tap: the interval now runs from receipt #1
        m.wait_synced()
    m.advance(3601)
    _redeemed(m, 1)
    assert m.tap(phone, product=2).verdict == "served"
    _not_redeemed(m, 2)                                # the hour since has not passed

    f = faults.fire("clock.rtc_reset")
    assert m.status()["boot"] == 2
    assert [e.action for e in faults.timeline.entries] == ["clock-set"]
    _redeemed(m, 2)                # 1970 is before the last redeem: the interval counts as over
    assert m.tap(phone, product=3).verdict == "served"  # payments never trust the clock
    _not_redeemed(m, 3)
    m.advance(3601)                                    # an hour passes, from 1970 on
    _redeemed(m, 3)

    faults.heal(f)                                     # back at chain time: decades later
    assert m.tap(phone, product=4).verdict == "served"
    _redeemed(m, 4)


# ---------------------------------------------------------------------------------- backup
def test_restored_backup_recovers_the_phones_receipts_and_serves_again(machine_factory, rng):
    m = _booted(machine_factory())
    faults = Injector(m, rng)
    phone = m.phones[0]
    m.wait_until(lambda s: s["checked_in"] and not s["open_tx"], what="checked in")
    with pytest.raises(FaultError, match=r"no backup 'monday'.*existing: none"):
        faults.fire("machine.restore_backup", label="monday")
    assert m.tap(phone, product=1).sequence == 1
    m.take_backup("monday")
    assert m.pi.powered and m.status()["latest"]["sequence"] == 1
    assert [m.tap(phone, product=p).sequence for p in (2, 3)] == [2, 3]

    faults.fire("machine.restore_backup", label="monday")
    assert m.status()["latest"]["sequence"] == 1       # the machine forgot #2 and #3
    dispensed = _dispensed(m)
    out = m.tap(phone, product=2)
    s = m.status()
    highest = phone.wallet.receipts()[-1]
    assert highest.sequence >= 3                       # GET LAST RECEIPT brought #3 back
    assert (s["latest"]["sequence"], s["latest"]["cumulative"]) == (
        highest.sequence, highest.cumulative_amount)
    assert out.verdict == "served", out
    assert _dispensed(m) == [*dispensed, out.brew_id], (  # a coffee was really made
        f"brew {out.brew_id} 'served' without a dispense; the board's log: "
        f"{m.board.nv_entries()}")
    prices = m.rental.terms.prices                     # exactly once: paid = made + owed
    made = sum(prices[d.product_id] for d in m.board.dispenses.records())
    assert s["latest"]["cumulative"] == made + s["credits"]


def test_a_phone_the_reader_missed_is_held_again_and_a_deaf_reader_still_fails(
        machine_factory, rng):
    """nfc.missed_activation: the firmware begins no tap, so the person holds the phone
    again (counted), up to twice; a phone that never comes up fails the tap all the same."""
    m = _booted(machine_factory())
    faults = Injector(m, rng)
    one = m.phones[0]
    faults.fire("nfc.missed_activation", phone=1, count=1)
    mark = m.control.mark()
    out = m.tap(one, product=1, timeout=3.0)
    assert out.verdict == "served" and out.retaps == 1
    assert sum(c.name == "tap" for c in list(m.control.checkpoints)[mark:]) == 1
    assert one.behaviour == Behaviour()                 # the count was used up

    faults.fire("nfc.missed_activation", phone=1, count=3)
    with pytest.raises(TapNotBegun, match="no tap begun"):
        m.tap(one, product=1, timeout=3.0)
    assert len(_dispensed(m)) == 1 and one.behaviour == Behaviour()
