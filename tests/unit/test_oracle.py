"""The oracle on hand-made histories: each invariant caught with its evidence, the info cases
accepted either way, and nothing failing spuriously."""

from __future__ import annotations

import json

import pytest

from rig.history import ChainEvent, Dispensed, History, MachineTx, Mark, Signed, TimelineEntry
from rig.oracle import HistoryError, OracleReport, check
from rig.oracle.online import CLOSE_MINED, Connectivity, close_window
from rig.oracle.registry import invariant, invariants
from tests.unit.timeline_vocabulary import fault_entry, step_entry

CHANNEL = "0x" + "ab" * 32
PHONE_A = "0x" + "a1" * 20
PHONE_B = "0x" + "b2" * 20
STRANGER = "0x" + "5e" * 20
PRICES = {1: 100, 2: 200}
DEPOSIT = 10_000
T0 = 1_000.0


# ---------------------------------------------------------------------- building histories
def _mark(h: History, at: float, name: str, boot: int = 1, **data: object) -> None:
    h.marks.append(Mark(len(h.marks) + 1, at, boot, name, dict(data)))


def _step(h: History, at: float, name: str, **params: object) -> None:
    """A step as the runner records it; only a registered step kind (or ``final``)."""
    h.timeline.append(step_entry(at, name, **params))


def _fault(h: History, at: float, kind: str, action: str, **params: object) -> None:
    """A fault entry of a registered kind, with an action the kind records."""
    h.timeline.append(fault_entry(at, kind, action, **params))


def _coffee(h: History, phone: str, seq: int, product: int, at: float, *,
            dispense_at: float | None = None, brew_id: int | None = None) -> int:
    """A paid and served coffee: phone signs, machine persists, board dispenses."""
    prev = max((s.cumulative for s in h.signed if s.sequence == seq - 1), default=0)
    cumulative = prev + PRICES[product]
    brew = brew_id if brew_id is not None else seq
    h.signed.append(Signed(phone, seq, cumulative, PRICES[product], product,
                           "0x" + f"{seq:02x}" * 65, at))
    _mark(h, at - 0.05, "tap")
    _mark(h, at + 0.01, "receipt-signed", sequence=seq, cumulative=cumulative, phone=phone)
    _mark(h, at + 0.02, "receipt-persisted", brew_id=brew, sequence=seq, credit_used=0,
          cumulative=cumulative)
    start = dispense_at if dispense_at is not None else at + 0.1
    _mark(h, start, "brew-started", brew_id=brew, product=product)
    h.dispensed.append(Dispensed(brew, product, start, start + 0.3))
    _mark(h, start + 0.31, "brew-done", brew_id=brew)
    _mark(h, start + 0.32, "tap-done", verdict="served", brew_id=brew, sequence=seq)
    return cumulative


def _redeem(h: History, seq: int, cumulative: int, signer: str, *, amount: int | None = None,
            nonce: int | None = None, status: int = 1) -> None:
    """The machine's redeem transaction and, when it succeeded, the Redeemed event."""
    block = 100 + len(h.machine_txs)
    tx_hash = "0x" + f"{block:064x}"
    nonce = len(h.machine_txs) if nonce is None else nonce
    h.machine_txs.append(MachineTx(tx_hash, nonce, "redeem", status, block, {
        "function": "redeem", "channelId": CHANNEL, "cumulativeAmount": cumulative,
        "sequence": seq, "signature": "0x"}))
    if status != 1:
        return
    paid = sum(e.args["amount"] for e in h.events_named("Redeemed"))
    h.events.append(ChainEvent("Redeemed", {
        "channelId": CHANNEL, "payee": "0x" + "99" * 20,
        "amount": cumulative - paid if amount is None else amount,
        "cumulativeAmount": cumulative, "sequence": seq, "signer": signer},
        block, tx_hash, 5_000 + block))


def _event(h: History, name: str, block: int, tx: str | None = None, **args: object) -> None:
    h.events.append(ChainEvent(name, {"channelId": CHANNEL, **args}, block,
                               tx or "0x" + f"{block:064x}", 5_000 + block))


def _close_and_settle(h: History, close_at: float, settle_at: float, refunded: int,
                      settle_tx: str | None = None) -> None:
    _step(h, close_at, "close")
    _event(h, "CloseRequested", 200, by="0x" + "c0" * 20, deadline=9_999)
    _step(h, settle_at, "settle")
    paid = sum(e.args["amount"] for e in h.events_named("Redeemed"))
    _event(h, "Settled", 300, settle_tx, paid=paid, refunded=refunded)


def base(credits: int = 0) -> History:
    """Two coffees (100 + 200) by two phones, both redeemed by one transaction."""
    h = History("unit", 7, 31337, "0x" + "aa" * 20, CHANNEL, dict(PRICES),
                {"sync_interval": 0.3, "challenge_period": 3600},
                token_supply_before=1_000_000, token_supply_after=1_000_000,
                contract_balance=1_000_000, final_status={"credits": credits})
    _event(h, "ChannelOpened", 10, deposit=DEPOSIT, customer="0x" + "c0" * 20)
    _step(h, T0 - 1, "boot")
    _mark(h, T0 - 0.9, "booted", boot=1)
    _coffee(h, PHONE_A, 1, 1, T0 + 10)
    _coffee(h, PHONE_B, 2, 2, T0 + 20)
    return h


def redeemed_base(credits: int = 0) -> History:
    h = base(credits)
    _redeem(h, 2, 300, PHONE_B)
    return h


def failing(report: OracleReport) -> set[str]:
    return {v.id for v in report.verdicts if v.outcome == "fail"}


def outcomes(report: OracleReport) -> dict[str, str]:
    return {v.id: v.outcome for v in report.verdicts}


# ---------------------------------------------------------------------- passing histories
def test_a_clean_history_holds_every_invariant_with_its_ledger():
    report = check(redeemed_base())
    assert report.ok and report.outcome == "ok", report.render_text()
    assert list(outcomes(report).values()) == ["ok"] * 10
    led = report.ledger
    assert (led.deposit, led.signed_max, led.acknowledged_max, led.redeemed) == (
        DEPOSIT, 300, 300, 300)
    assert (led.refunded, led.locked, led.dispensed, led.dispensed_value, led.credits) == (
        0, DEPOSIT - 300, 2, 300, 0)
    assert [i.id for i in invariants()] == [f"INV-{n}" for n in range(1, 11)]


def test_redeeming_in_two_steps_and_settling_cleanly_holds():
    h = base()
    _redeem(h, 1, 100, PHONE_A)
    _redeem(h, 2, 300, PHONE_B)
    _close_and_settle(h, T0 + 30, T0 + 40, refunded=DEPOSIT - 300)
    h.contract_balance = 0
    h.channel = {"status": 3, "deposit": DEPOSIT, "redeemed": 300, "sequence": 2}
    report = check(h)
    assert report.ok and report.outcome == "ok", report.render_text()
    assert (report.ledger.refunded, report.ledger.locked) == (DEPOSIT - 300, 0)


# ---------------------------------------------------------------------- INV-1
def test_inv1_a_coffee_dispensed_before_its_receipt_was_signed_is_free_coffee():
    h = base()
    h.dispensed[1] = Dispensed(2, 2, T0 + 19.9, T0 + 20.2)   # board ran before the phone signed
    _redeem(h, 2, 300, PHONE_B)
    report = check(h)
    assert failing(report) == {"INV-1"}, report.render_text()
    v = report.verdict("INV-1")
    assert v.count == 1
    e = v.first
    assert e.evidence["dispenses"] == [{"brew_id": 2, "product": 2, "started_at": T0 + 19.9,
                                        "ended_at": T0 + 20.2, "price": 200}]
    assert [r["sequence"] for r in e.evidence["receipts"]] == [1]
    assert e.severity == 200 and "300" in e.message and "100" in e.message


def test_inv1_reports_count_first_worst_last_over_a_run_of_free_coffees():
    h = redeemed_base()
    for n, product in enumerate((1, 2, 1), start=10):
        h.dispensed.append(Dispensed(n, product, T0 + 30 + n, T0 + 30.5 + n))
    report = check(h)
    v = report.verdict("INV-1")
    assert v.outcome == "fail" and v.count == 3
    assert [e.evidence["dispenses"][0]["brew_id"] for e in (v.first, v.worst, v.last)] == [
        10, 12, 12]
    assert [e.severity for e in v.errors] == [100, 300, 400]
    assert "INV-3" in failing(report)      # the unpaid coffees are also missing money


# ---------------------------------------------------------------------- INV-2
def test_inv2_an_acknowledged_receipt_never_redeemed_is_lost():
    h = base()
    _redeem(h, 1, 100, PHONE_A)            # the machine redeemed only the first receipt
    report = check(h)
    assert failing(report) == {"INV-2", "INV-3"}, report.render_text()
    e = report.verdict("INV-2").first
    assert [a["sequence"] for a in e.evidence["acknowledged"]] == [2]
    assert e.evidence["acknowledged"][0]["mark"]["name"] == "receipt-persisted"
    assert e.severity == 200 and e.at == pytest.approx(T0 + 20.02)


def test_inv2_redeeming_more_than_any_phone_signed_fails():
    h = base()
    _redeem(h, 3, 500, STRANGER)
    report = check(h)
    assert failing(report) == {"INV-2", "INV-3", "INV-8"}, report.render_text()
    assert any("more than the 300" in e.message for e in report.verdict("INV-2").errors)


# ---------------------------------------------------------------------- INV-3
def test_inv3_credits_the_firmware_reports_but_nobody_paid_for_fail_alone():
    report = check(redeemed_base(credits=100))
    assert failing(report) == {"INV-3"}, report.render_text()
    e = report.verdict("INV-3").first
    assert e.evidence["ledger"] == [{"P": 300, "value(B)": 300, "C": 0, "C_max": 0,
                                     "reported": 100, "dispensed": 2}]
    assert "more than anything paid for" in e.message and e.severity == 100
    assert (report.ledger.credits, report.ledger.credits_reported) == (0, 100)


def _refused_after_signing(h: History, verdict: str = "refused") -> None:
    """Phone A signs sequence 3 (cumulative 400); the machine refuses the tap after reading
    the signature (nothing charged, nothing persisted)."""
    h.signed.append(Signed(PHONE_A, 3, 400, 100, 1, "0x03", T0 + 50))
    _mark(h, T0 + 49.9, "tap")
    _mark(h, T0 + 50.01, "receipt-signed", sequence=3, cumulative=400, phone=PHONE_A)
    _mark(h, T0 + 50.2, "tap-done", verdict=verdict, reason="receipt signer not authorised")


def test_inv3_an_overcharge_hidden_by_over_reported_credits_fails():
    """The machine redeems the receipt of a tap it refused and reports a credit for it: P =
    value(B) + reported credits balances, every other invariant holds, and the customer paid
    100 for nothing. Only the ground-truth C (nothing acknowledged beyond 300) shows it."""
    h = base(credits=100)
    _refused_after_signing(h)
    _redeem(h, 3, 400, PHONE_A)
    report = check(h)
    assert failing(report) == {"INV-3"}, report.render_text()
    messages = [e.message for e in report.verdict("INV-3").errors]
    assert any(m.startswith("overcharge: redeemed 400, but the machine held receipts for at "
                            "most 300") for m in messages), messages
    assert any("reports 100 credits, more than anything paid for" in m for m in messages)
    assert report.ledger.credits == 0 and report.ledger.credits_reported == 100


def test_inv3_the_same_numbers_reported_honestly_hold():
    """The same P and reported credits, but this time the machine acknowledged the receipt
    and the brew failed (no water): it owes the 100 it reports."""
    h = base(credits=100)
    h.signed.append(Signed(PHONE_A, 3, 400, 100, 1, "0x03", T0 + 50))
    _mark(h, T0 + 49.9, "tap")
    _mark(h, T0 + 50.01, "receipt-signed", sequence=3, cumulative=400, phone=PHONE_A)
    _mark(h, T0 + 50.02, "receipt-persisted", brew_id=3, sequence=3, credit_used=0,
          cumulative=400)
    _mark(h, T0 + 50.1, "brew-failed", brew_id=3, reason="no_water")
    _mark(h, T0 + 50.11, "credit-granted", brew_id=3, value=100, reason="no_water")
    _mark(h, T0 + 50.2, "tap-done", verdict="credited", brew_id=3, sequence=3)
    _redeem(h, 3, 400, PHONE_A)
    report = check(h)
    assert report.outcome == "ok", report.render_text()
    assert (report.ledger.credits, report.ledger.credits_max,
            report.ledger.credits_reported) == (100, 100, 100)


def test_inv3_a_firmware_that_forgets_a_credit_it_owes_overcharges():
    h = base(credits=0)
    h.signed.append(Signed(PHONE_A, 3, 400, 100, 1, "0x03", T0 + 50))
    _mark(h, T0 + 49.9, "tap")
    _mark(h, T0 + 50.02, "receipt-persisted", brew_id=3, sequence=3, credit_used=0,
          cumulative=400)
    _mark(h, T0 + 50.2, "tap-done", verdict="credited", brew_id=3, sequence=3)
    _redeem(h, 3, 400, PHONE_A)
    report = check(h)
    assert failing(report) == {"INV-3"}, report.render_text()
    e = report.verdict("INV-3").first
    assert "the firmware reports 0 credits, but it owes 100" in e.message
    assert e.severity == 100


def test_inv3_paid_but_neither_dispensed_nor_credited_is_an_overcharge():
    h = redeemed_base()
    del h.dispensed[1]
    report = check(h)
    assert failing(report) == {"INV-3"}, report.render_text()
    assert "overcharge" in report.verdict("INV-3").first.message
    assert report.verdict("INV-3").first.severity == 200


def test_inv3_negative_credits_fail():
    report = check(redeemed_base(credits=-5))
    assert "INV-3" in failing(report)
    assert any("negative credits" in e.message for e in report.verdict("INV-3").errors)


# ---------------------------------------------------------------------- INV-4
def test_inv4_token_supply_changed():
    h = redeemed_base()
    h.token_supply_after += 1
    report = check(h)
    assert failing(report) == {"INV-4"}, report.render_text()
    assert report.verdict("INV-4").first.evidence["supply"] == [
        {"before": 1_000_000, "after": 1_000_001}]


def test_inv4_contract_holds_less_than_locked_plus_withdrawable():
    h = redeemed_base()
    h.contract_balance, h.withdrawable = DEPOSIT - 300, 1
    report = check(h)
    assert failing(report) == {"INV-4"}, report.render_text()
    assert "less than L 9700 + withdrawable 1" in report.verdict("INV-4").first.message


def test_inv4_settlement_that_leaves_money_locked_fails():
    h = redeemed_base()
    _close_and_settle(h, T0 + 30, T0 + 40, refunded=DEPOSIT - 300 - 50)
    report = check(h)
    assert failing(report) == {"INV-4"}, report.render_text()
    assert "leave L 50 locked" in report.verdict("INV-4").first.message


def test_inv4_channel_struct_disagreeing_with_events_fails():
    h = redeemed_base()
    h.channel = {"status": 1, "deposit": DEPOSIT, "redeemed": 250}
    report = check(h)
    assert failing(report) == {"INV-4"}, report.render_text()
    assert report.verdict("INV-4").first.evidence["channel"] == [h.channel]


# ---------------------------------------------------------------------- INV-5
def test_inv5_the_same_receipt_redeemed_twice():
    h = redeemed_base()
    _redeem(h, 2, 300, PHONE_B, amount=0)
    report = check(h)
    assert "INV-5" in failing(report)
    messages = [e.message for e in report.verdict("INV-5").errors]
    assert any("redeemed twice" in m for m in messages)
    assert any("went into 2 mined redeem transactions" in m for m in messages)
    assert failing(report) == {"INV-5"}, report.render_text()


def test_inv5_a_reverted_resigned_redeem_is_a_double_submission():
    h = redeemed_base()
    _fault(h, T0 + 30, "net.response_lost", "fire")
    _redeem(h, 2, 300, PHONE_B, status=0)   # signed again with a new nonce; it reverted
    for tx in h.machine_txs:
        _mark(h, T0 + 29 + 2 * tx.nonce, "redeem-signed", kind="redeem", nonce=tx.nonce,
              hash=tx.hash, sequence=2, cumulative=300)
    report = check(h)
    assert failing(report) == {"INV-5"}, report.render_text()
    e = report.verdict("INV-5").first
    assert [t["nonce"] for t in e.evidence["machine_txs"]] == [0, 1]
    assert [t["status"] for t in e.evidence["machine_txs"]] == [1, 0]
    assert e.at == T0 + 31                  # when the firmware signed the second one
    assert [t["kind"] for t in e.timeline] == ["net.response_lost"]


def test_inv5_nonce_gap():
    h = base()
    _redeem(h, 1, 100, PHONE_A, nonce=0)
    _redeem(h, 2, 300, PHONE_B, nonce=2)
    report = check(h)
    assert failing(report) == {"INV-5"}, report.render_text()
    assert "nonces 1..1 are missing" in report.verdict("INV-5").first.message


def test_inv5_sequence_that_does_not_increase():
    h = base()
    h.signed.append(Signed(STRANGER, 2, 250, 150, 1, "0x", T0 + 15))  # a forked receipt
    _redeem(h, 2, 250, STRANGER)
    _redeem(h, 2, 300, PHONE_B)
    report = check(h)
    assert failing(report) == {"INV-5"}, report.render_text()
    e = report.verdict("INV-5").first
    assert "not strictly increasing" in e.message
    assert [r["args"]["cumulativeAmount"] for r in e.evidence["redeemed"]] == [250, 300]


# ---------------------------------------------------------------------- INV-6
def test_inv6_acknowledging_beyond_the_deposit():
    h = base()
    h.events[0] = ChainEvent("ChannelOpened", {"channelId": CHANNEL, "deposit": 250}, 10,
                             "0x" + "01" * 32, 5_010)
    _redeem(h, 1, 100, PHONE_A)
    report = check(h)
    assert "INV-6" in failing(report)
    e = report.verdict("INV-6").first
    assert e.evidence["acknowledged"][0]["cumulative"] == 300
    assert e.evidence["deposits"][0]["args"]["deposit"] == 250 and e.severity == 50
    assert failing(report) == {"INV-2", "INV-3", "INV-6"}   # and that money is lost


# ---------------------------------------------------------------------- INV-7 and the info rule
def _closed_without_latest(h: History, close_at: float = T0 + 30,
                           settle_at: float = T0 + 40) -> History:
    _redeem(h, 1, 100, PHONE_A)
    _close_and_settle(h, close_at, settle_at, refunded=DEPOSIT - 100)
    return h


def test_inv7_online_through_the_window_yet_the_latest_receipt_was_not_redeemed():
    report = check(_closed_without_latest(base()))
    assert failing(report) == {"INV-2", "INV-3", "INV-7"}, report.render_text()
    e = report.verdict("INV-7").first
    assert e.evidence["acknowledged"][0]["cumulative"] == 300
    assert [x["name"] for x in e.evidence["events"]] == ["CloseRequested", "Settled"]
    assert e.evidence["close_window"][0]["machine_could_act"] is True
    assert e.at == T0 + 30
    assert [t["kind"] for t in e.timeline] == ["close"]


def test_inv7_only_counts_what_was_acknowledged_before_the_close():
    h = base()
    h.marks[:] = [m for m in h.marks if not (m.name == "receipt-persisted"
                                             and m.data["sequence"] == 2)]
    _mark(h, T0 + 35, "receipt-persisted", brew_id=2, sequence=2, credit_used=0,
          cumulative=300)          # sold after the close step, before the firmware saw it
    report = check(_closed_without_latest(h))
    assert failing(report) == {"INV-2", "INV-3"}, report.render_text()
    assert report.verdict("INV-7").outcome == "ok"


def test_runner_steps_bound_the_window_and_shutdown_is_power_off():
    h = base()
    for at, kind in ((T0 + 25, "shutdown"), (T0 + 30, "close"), (T0 + 40, "settle"),
                     (T0 + 45, "boot")):
        _step(h, at, kind)
    _redeem(h, 1, 100, PHONE_A)
    _event(h, "CloseRequested", 200, by="0x" + "c0" * 20, deadline=9_999)
    _event(h, "Settled", 300, paid=100, refunded=DEPOSIT - 100)
    report = check(h)
    assert report.ok and report.verdict("INV-7").outcome == "info", report.render_text()
    assert report.verdict("INV-7").first.evidence["close_window"][0]["close_step"]["at"] \
        == T0 + 30


def test_settled_while_the_machine_was_powered_off_is_info_not_fail():
    h = base()
    _step(h, T0 + 25, "shutdown")
    _step(h, T0 + 45, "boot")
    report = check(_closed_without_latest(h))
    assert report.ok, report.render_text()
    assert outcomes(report) == {**{f"INV-{n}": "ok" for n in range(1, 11)},
                                "INV-2": "info", "INV-3": "info", "INV-7": "info"}
    assert report.outcome == "info"
    window = report.verdict("INV-2").first.evidence["close_window"][0]
    assert window["machine_could_act"] is False and window["longest_online_s"] == 0


def test_settled_during_a_network_fault_is_info():
    h = base()
    _fault(h, T0 + 29, "net.blackhole", "fire")
    _fault(h, T0 + 41, "net.blackhole", "heal")
    report = check(_closed_without_latest(h))
    assert report.ok and set(outcomes(report).values()) == {"ok", "info"}


def test_online_shorter_than_a_sync_interval_is_info_longer_is_fail():
    short, long_ = base(), base()
    _fault(short, T0 + 30.1, "power.cut", "fire")      # 0.1 s online < 0.3 s sync interval
    _fault(long_, T0 + 31.0, "power.cut", "fire")      # 1.0 s online: it could have redeemed
    assert check(_closed_without_latest(short)).ok
    assert failing(check(_closed_without_latest(long_))) == {"INV-2", "INV-3", "INV-7"}


def test_a_cooperative_close_by_the_machine_gets_no_exemption():
    h = base()
    _step(h, T0 + 25, "shutdown")
    _redeem(h, 1, 100, PHONE_A)
    machine_tx = "0x" + "ee" * 32
    h.machine_txs.append(MachineTx(machine_tx, 1, "other", 1, 300, {"function": "x"}))
    _close_and_settle(h, T0 + 30, T0 + 40, refunded=DEPOSIT - 100, settle_tx=machine_tx)
    assert {"INV-2", "INV-3"} <= failing(check(h))


def test_overcharge_is_never_excused_by_the_offline_exemption():
    h = base()
    del h.dispensed[1]
    _step(h, T0 + 25, "shutdown")
    _redeem(h, 2, 300, PHONE_B)
    _close_and_settle(h, T0 + 30, T0 + 40, refunded=DEPOSIT - 300)
    assert failing(check(h)) == {"INV-3"}


# ---------------------------------------------------------------------- INV-8
def test_inv8_a_redeem_signed_by_no_phone_is_a_phantom():
    h = base()
    _redeem(h, 2, 300, STRANGER)
    report = check(h)
    assert failing(report) == {"INV-8"}, report.render_text()
    e = report.verdict("INV-8").first
    assert e.evidence["redeemed"][0]["args"]["signer"] == STRANGER
    assert [r["phone"] for r in e.evidence["receipts_with_that_sequence"]] == [PHONE_B]


# ---------------------------------------------------------------------- Jepsen info operations
def _pulled_away(h: History) -> None:
    """Phone A signs sequence 3 and leaves before the machine got the signature."""
    h.signed.append(Signed(PHONE_A, 3, 400, 100, 1, "0x03", T0 + 50))
    _mark(h, T0 + 49.9, "tap")
    _mark(h, T0 + 50.2, "tap-done", verdict="lost", reason="PhoneLost")


def test_pulled_away_before_the_response_and_never_redeemed_is_ok():
    h = redeemed_base()
    _pulled_away(h)
    report = check(h)
    assert report.outcome == "ok", report.render_text()
    taps = [op for op in report.operations if op["kind"] == "tap"]
    assert [op["outcome"] for op in taps] == ["ok", "ok", "info"]


def test_pulled_away_receipt_recovered_as_credit_and_redeemed_is_ok():
    h = base(credits=100)
    _pulled_away(h)
    _mark(h, T0 + 60, "receipt-recovered", sequence=3, cumulative=400, credit=100)
    _redeem(h, 3, 400, PHONE_A)
    assert check(h).outcome == "ok"


def test_recovered_credit_spent_on_the_next_coffee_is_ok():
    h = base()
    _pulled_away(h)
    _mark(h, T0 + 60, "tap")
    _mark(h, T0 + 60.1, "receipt-recovered", sequence=3, cumulative=400, credit=100)
    _mark(h, T0 + 60.2, "receipt-persisted", brew_id=3, sequence=None, credit_used=100,
          cumulative=None)
    h.dispensed.append(Dispensed(3, 1, T0 + 60.3, T0 + 60.6))
    _redeem(h, 3, 400, PHONE_A)
    report = check(h)
    assert report.outcome == "ok", report.render_text()
    assert report.ledger.acknowledged_max == 400 and report.ledger.acknowledged_receipts == 3


@pytest.mark.parametrize("redeemed_later", [False, True])
def test_power_cut_between_signed_and_persisted_accepts_either_outcome(redeemed_later):
    h = redeemed_base(credits=100 if redeemed_later else 0)
    h.signed.append(Signed(PHONE_A, 3, 400, 100, 1, "0x03", T0 + 50))
    _mark(h, T0 + 49.9, "tap")
    _mark(h, T0 + 50.01, "receipt-signed", sequence=3, cumulative=400, phone=PHONE_A)
    _fault(h, T0 + 50.02, "power.cut", "fire")
    _fault(h, T0 + 51, "power.cut", "heal")
    _mark(h, T0 + 52, "booted", boot=2)
    if redeemed_later:   # the write had reached the SD card: the machine owes a credit
        _redeem(h, 3, 400, PHONE_A)
    report = check(h)
    assert report.outcome == "ok", report.render_text()
    (cut,) = [op for op in report.operations if op["kind"] == "tap" and op["outcome"] == "info"]
    assert "rebooted" in cut["detail"]["interrupted"]
    assert cut["detail"]["signed"] == {"sequence": 3, "cumulative": 400}


def test_unmined_redeem_after_a_lost_response_is_an_info_operation():
    h = redeemed_base()
    _mark(h, T0 + 30, "redeem-signed", kind="redeem", nonce=1, hash="0x" + "77" * 32,
          sequence=2, cumulative=300)
    _fault(h, T0 + 30.1, "net.response_lost", "fire")
    _fault(h, T0 + 31, "net.response_lost", "heal")
    report = check(h)
    assert report.outcome == "ok"
    (op,) = [o for o in report.operations if o["kind"] == "redeem"]
    assert op["outcome"] == "info" and op["detail"]["mined"] is None


# ---------------------------------------------------------------------- the report itself
def test_a_violation_carries_channel_evidence_timeline_seed_and_replay():
    h = base()
    _fault(h, T0 + 19, "power.cut", "fire")
    _fault(h, T0 + 19.5, "power.cut", "heal")
    _redeem(h, 1, 100, PHONE_A)
    report = check(h, replay="rig scenario unit --seed 7")
    e = report.verdict("INV-2").first
    assert (e.invariant, e.name, e.channel, e.seed, e.replay) == (
        "INV-2", "no lost receipt", CHANNEL, 7, "rig scenario unit --seed 7")
    assert [(t["kind"], t["action"]) for t in e.timeline] == [
        ("power.cut", "fire"), ("power.cut", "heal")]
    assert e.timeline[0]["dt"] == pytest.approx(-1.02)
    doc = json.loads(json.dumps(report.to_json()))
    assert doc["ok"] is False and doc["ledger"]["redeemed"] == 100
    v2 = next(v for v in doc["verdicts"] if v["id"] == "INV-2")
    assert v2["count"] == 1 and v2["first"] == v2["worst"] == v2["last"]
    text = report.render_text()
    for needle in ("INV-2", "FAIL", "rig scenario unit --seed 7", "no lost receipt",
                   "power.cut fire", "acknowledged (1)", "9,900"):
        assert needle in text, needle


def test_summary_names_the_failing_invariants():
    h = base()
    _redeem(h, 1, 100, PHONE_A)
    summary = check(h).summary()
    assert summary.startswith("INV-2 no lost receipt: redeemed 100") and "INV-3" in summary
    assert check(redeemed_base()).summary() == "every invariant held"


def test_default_replay_names_the_seed_and_scenario():
    assert check(redeemed_base()).replay == "pytest --rig-seed 7 -k unit"


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("spoil", "message"), [
    (lambda h: h.dispensed.append(Dispensed(9, 7, T0, T0 + 1)), "product 7"),
    (lambda h: h.final_status.pop("credits"), "'credits'"),
    (lambda h: _mark(h, T0, "receipt-persisted", sequence=3), "no 'cumulative'"),
    (lambda h: _mark(h, T0, "receipt-recovered", sequence="3", cumulative=1), "'sequence'"),
    (lambda h: h.events.append(ChainEvent("ToppedUp", {}, 50, "0x", 0)), "no argument 'amount'"),
    (lambda h: (h.settings.pop("sync_interval"), _step(h, T0 + 30, "close")),
     "sync_interval"),
])
def test_a_malformed_history_is_refused_with_a_clear_error(spoil, message):
    h = redeemed_base()
    spoil(h)
    with pytest.raises(HistoryError, match=message):
        check(h)


def test_an_invariant_id_registers_once():
    with pytest.raises(RuntimeError, match="INV-1 registered twice"):
        invariant("INV-1", "again")(lambda f: None)
    with pytest.raises(ValueError, match="INV-<number>"):
        invariant("X-1", "bad id")


# ---------------------------------------------------------------------- the online rule
def _entries(*spec: tuple[float, str, str]) -> list[TimelineEntry]:
    """Runner-style entries: ``(at, step, "step")`` or ``(at, fault kind, action)``."""
    return [step_entry(at, kind) if action == "step" else fault_entry(at, kind, action)
            for at, kind, action in spec]


def test_online_rule_power_and_network_faults():
    timeline = _entries((10, "net.latency", "fire"), (12, "power.cut", "fire"),
                        (13, "net.latency", "heal"), (15, "boot", "step"),
                        (20, "net.blackhole", "fire"), (21, "net.blackhole", "heal"))
    c = Connectivity.from_timeline(timeline)
    assert c.online_periods(0, 30) == [(0, 10), (15, 20), (21, 30)]
    assert c.longest_online(0, 30) == 10
    assert c.longest_online(11, 14) == 0


def test_a_chain_holding_the_machines_transactions_back_is_offline():
    """hold_mining until heal; drop_tx until it dropped the transaction (or missed)."""
    timeline = _entries((5, "chain.hold_mining", "fire"), (8, "chain.hold_mining", "heal"),
                        (10, "chain.drop_tx", "fire"), (11, "chain.drop_tx", "dropped"),
                        (12, "chain.drop_tx", "heal"), (14, "chain.drop_tx", "fire"),
                        (16, "chain.drop_tx", "miss"), (17, "chain.reorg", "fire"))
    c = Connectivity.from_timeline(timeline)
    assert c.online_periods(0, 20) == [(0, 5), (8, 10), (11, 14), (16, 20)]


def test_a_power_fault_that_arms_goes_off_only_when_it_cuts():
    armed = _entries((10, "power.cut_at_checkpoint", "fire"),
                     (14, "power.cut_at_checkpoint", "cut"),
                     (16, "power.cut_at_checkpoint", "heal"))
    assert Connectivity.from_timeline(armed).online_periods(0, 20) == [(0, 14), (16, 20)]
    missed = _entries((10, "power.cut_at_checkpoint", "fire"),
                      (14, "power.cut_at_checkpoint", "miss"))
    assert Connectivity.from_timeline(missed).online_periods(0, 20) == [(0, 20)]


def test_the_final_step_heals_everything():
    timeline = _entries((5, "net.blackhole", "fire"), (6, "power.cut", "fire"),
                        (9, "final", "step"))
    assert Connectivity.from_timeline(timeline).online_periods(0, 20) == [(0, 5), (9, 20)]


def test_before_a_first_boot_step_the_machine_was_off():
    timeline = [step_entry(5, "boot")]
    assert Connectivity.from_timeline(timeline).online_periods(0, 10) == [(5, 10)]
    assert Connectivity.from_timeline([]).online_periods(0, 10) == [(0, 10)]


def test_close_window_without_a_close_step_is_unknown_and_strict():
    w = close_window([], 0.3)
    assert w.longest_online is None and w.machine_could_act and not w.bounded
    open_ended = close_window([step_entry(5, "close")], 0.3)
    assert open_ended.settle is None and open_ended.machine_could_act


def test_the_close_window_counts_online_time_only_once_the_close_is_mined():
    """The close step's entry is written before its transaction is sent. On a loaded host
    mining it took half a second, longer than a sync interval, and the link went down as it
    landed: the machine never had a sync interval online with the close on chain."""
    timeline = [step_entry(10, "close"),
                TimelineEntry(10.5, "close", CLOSE_MINED, {"block": 7}, None),
                fault_entry(10.5, "net.blackhole", "fire"), step_entry(20, "settle")]
    w = close_window(timeline, 0.2)
    assert w.longest_online == 0 and not w.machine_could_act
    without_note = [e for e in timeline if e.action != CLOSE_MINED]
    assert close_window(without_note, 0.2).longest_online == 0.5   # older histories


def test_the_close_window_counts_sync_rounds_completed_after_the_close_not_seconds():
    """stateful-4294967295: the close was mined, and 0.3 s later (more than the 0.2 s sync
    interval) a warp took chain time past the deadline. On the loaded host the firmware's
    round took longer than its interval: only one ``synced`` came in between, from a round
    that had read the chain before the close. It could not have seen the close."""
    timeline = [step_entry(10, "close"),
                TimelineEntry(10.1, "close", CLOSE_MINED, {"block": 7}, None),
                step_entry(10.4, "settle")]
    one_round = close_window(timeline, 0.2, synced=[9.95, 10.25, 10.6])
    assert one_round.longest_online > 0.2 and one_round.rounds == 1
    assert not one_round.machine_could_act
    two_rounds = close_window(timeline, 0.2, synced=[10.15, 10.35])
    assert two_rounds.rounds == 2 and two_rounds.machine_could_act
    assert close_window(timeline, 0.2).machine_could_act     # no checkpoints: seconds decide


# ---------------------------------------------------------------------- unknown ground truth
def test_unknown_dispenses_leave_the_invariants_that_read_them_undecided_with_the_reason():
    h = redeemed_base()
    h.dispensed.clear()        # a real board: nothing read, which must not look like "none"
    h.unknown["dispensed"] = "the brew board (serial-board) keeps no log the rig can read"
    report = check(h)
    got = outcomes(report)
    assert (got["INV-1"], got["INV-3"]) == ("info", "info"), report.render_text()
    assert {k: v for k, v in got.items() if k not in ("INV-1", "INV-3")} == \
        {f"INV-{n}": "ok" for n in (2, 4, 5, 6, 7, 8, 9, 10)}
    inv1 = next(v for v in report.verdicts if v.id == "INV-1")
    assert "dispensed unknown: the brew board (serial-board) keeps no log" in inv1.summary


def test_unknown_receipts_leave_inv2_and_inv8_undecided_too():
    h = redeemed_base()
    h.unknown["signed"] = "a real phone that exports no receipts"
    assert {k for k, v in outcomes(check(h)).items() if v == "info"} == \
        {"INV-1", "INV-2", "INV-3", "INV-8"}


def test_an_invariant_cannot_read_what_is_not_ground_truth():
    with pytest.raises(ValueError, match="reads \\['firmware_credits'\\]: not ground truth"):
        invariant("INV-99", "x", reads=frozenset({"firmware_credits"}))
