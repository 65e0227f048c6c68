"""The close window ends when chain time passes the close deadline, not only at ``settle``.

After the deadline the contract refuses every redeem (ChallengePeriodOver), so a machine that
was offline from the close until then could not have redeemed, whatever happens after; a
machine that was online in time could have, and still fails. Histories are hand-made as in
test_oracle.py: a close at T0+30 in the chain block at 5,200 (deadline 5,200 + 3,600), then
the fault schedule of property-testing.md finding 1 (stateful-81586).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rig.history import Block, History, TimelineEntry
from rig.oracle import HistoryError, OracleReport, check
from rig.oracle.online import CLOSE_MINED
from tests.unit.test_oracle import PHONE_A, T0, _event, _fault, _mark, _redeem, _step, base
from tests.unit.timeline_vocabulary import fault_entry, step_entry

CLOSE_TS = 5_200
PERIOD = 3_600
DEADLINE = CLOSE_TS + PERIOD


def _entry(h: History, at: float, kind: str, action: str, **params: object) -> None:
    """A runner step (action ``step``) or a fault entry, from the registries' vocabulary."""
    h.timeline.append(step_entry(at, kind, **params) if action == "step"
                      else fault_entry(at, kind, action, **params))


def _closed(h: History, *, cut_at: float = T0 + 30.1, deadline: object = DEADLINE) -> History:
    """Receipt 1 redeemed, receipt 2 (cumulative 300) not; the customer closes at T0+30 and
    the power goes at ``cut_at``; the runner's final phase heals everything at T0+60."""
    _redeem(h, 1, 100, PHONE_A)
    _step(h, T0 + 30, "close")
    _event(h, "CloseRequested", CLOSE_TS - 5_000, by="0x" + "c0" * 20, deadline=deadline)
    _fault(h, cut_at, "power.cut", "fire")
    _entry(h, T0 + 60, "final", "step")
    return h


def _time_warp(h: History, at: float, seconds: int) -> None:
    """``chain.time_warp`` as the fault records it while the Pi is off."""
    _entry(h, at, "chain.time_warp", "fire", seconds=seconds)
    _entry(h, at + 0.01, "chain.time_warp", "chain-only", seconds=seconds)


def _chain(h: History, *timestamps: int) -> None:
    """The final chain's blocks from the close block on."""
    h.blocks = [Block(CLOSE_TS - 5_000 + i, ts) for i, ts in enumerate((CLOSE_TS, *timestamps))]


def outcomes(report: OracleReport) -> dict[str, str]:
    return {v.id: v.outcome for v in report.verdicts}


EXEMPT = {**{f"INV-{n}": "ok" for n in range(1, 11)},
          "INV-2": "info", "INV-3": "info", "INV-7": "info"}
STRICT = {**EXEMPT, "INV-2": "fail", "INV-3": "fail", "INV-7": "fail"}


def test_the_deadline_passing_while_offline_ends_the_window_without_a_settle():
    h = _closed(base())
    _time_warp(h, T0 + 32, PERIOD + 1)
    _chain(h, CLOSE_TS + 2 + PERIOD + 1, CLOSE_TS + 30 + PERIOD + 1)
    report = check(h)
    assert outcomes(report) == EXEMPT, report.render_text()
    assert report.ok
    named = (f"chain time passed the close deadline {DEADLINE} with the chain.time_warp of "
             f"3601 s (block 201 at {CLOSE_TS + 3603} is the first past it)")
    for inv in ("INV-2", "INV-3", "INV-7"):
        assert named in report.verdict(inv).first.message, inv
    window = report.verdict("INV-2").first.evidence["close_window"][0]
    assert window["ended_by"] == "deadline" and window["machine_could_act"] is False
    assert window["longest_online_s"] == pytest.approx(0.1)
    passed = window["deadline_passed"]
    assert (passed["at"], passed["deadline"], passed["warped_s"]) == (T0 + 32, DEADLINE, 3601)
    assert passed["by"]["kind"] == "chain.time_warp"
    assert passed["first_block_past"] == {"number": 201, "timestamp": CLOSE_TS + 3603}
    assert "the close deadline passed" in report.verdict("INV-7").first.message


def test_a_redeem_the_machine_could_have_made_before_the_deadline_still_fails():
    h = _closed(base(), cut_at=T0 + 35)            # online 5 s after the close, sync 0.3 s
    _time_warp(h, T0 + 36, PERIOD + 1)
    _chain(h, CLOSE_TS + 6 + PERIOD + 1)
    report = check(h)
    assert outcomes(report) == STRICT, report.render_text()
    window = report.verdict("INV-7").first.evidence["close_window"][0]
    assert window["ended_by"] == "deadline" and window["machine_could_act"] is True
    assert window["longest_online_s"] == pytest.approx(5.0)


def test_without_a_block_past_the_deadline_the_reading_stays_strict():
    h = _closed(base())
    _time_warp(h, T0 + 32, PERIOD + 1)            # the timeline warped, but no chain evidence
    report = check(h)
    assert outcomes(report) == STRICT, report.render_text()
    window = report.verdict("INV-2").first.evidence.get("close_window")
    assert window is None                          # no exemption, so no exemption evidence
    assert report.verdict("INV-7").first.evidence["close_window"][0]["ended_by"] is None


def test_rounds_after_the_first_moment_the_deadline_can_have_passed_do_not_count():
    """stateful-4294967295, second half: the close was mined at T0+30.3 into a block whose
    timestamp is whole seconds, and a warp of exactly the challenge period came 14 ms later.
    Chain time can then already be past the deadline (the close can have been mined just
    before its block's second ended): the machine's two rounds in the next second, which
    certainly ended before the deadline's latest moment, came too late to redeem."""
    h = base()
    _redeem(h, 1, 100, PHONE_A)
    _step(h, T0 + 30, "close")
    _event(h, "CloseRequested", CLOSE_TS - 5_000, by="0x" + "c0" * 20, deadline=DEADLINE)
    h.timeline.append(TimelineEntry(T0 + 30.3, "close", CLOSE_MINED, {"block": 200}, None))
    _time_warp(h, T0 + 30.314, PERIOD)
    for at in (T0 + 30.5, T0 + 30.9):
        _mark(h, at, "synced")
    _entry(h, T0 + 60, "final", "step")
    _chain(h, CLOSE_TS + PERIOD + 1)             # the machine's redeem, refused
    report = check(h)
    assert outcomes(report) == EXEMPT, report.render_text()
    window = report.verdict("INV-7").first.evidence["close_window"][0]
    assert window["machine_could_act"] is False and window["sync_rounds"] == 0
    passed = window["deadline_passed"]
    assert passed["earliest"] == pytest.approx(T0 + 30.314)
    assert passed["at"] == pytest.approx(T0 + 31.3)        # certainly: a second later

    h.marks = [m for m in h.marks if m.name != "synced"]   # two rounds before the warp
    for at in (T0 + 30.305, T0 + 30.31):
        _mark(h, at, "synced")
    assert outcomes(check(h)) == STRICT


def test_a_redeem_a_reorg_took_away_just_before_the_deadline_is_not_held_against_the_machine():
    """A CI run's `stateful-62413`: the machine redeemed inside the window, a reorg deeper
    than its confirmations dropped the redeem, and a warp 22 ms later took chain time past
    the deadline; its redeem sent again reverted. Its rounds before the reorg do not count:
    it had to see the redeem gone first. A reorg that dropped something else changes
    nothing."""
    h = base()
    _step(h, T0 + 30, "close")
    _event(h, "CloseRequested", CLOSE_TS - 5_000, by="0x" + "c0" * 20, deadline=DEADLINE)
    h.timeline.append(TimelineEntry(T0 + 30.01, "close", CLOSE_MINED, {"block": 200}, None))
    for at in (T0 + 30.5, T0 + 31.0, T0 + 31.5):
        _mark(h, at, "synced")
    _redeem(h, 2, 300, PHONE_A, status=0)          # sent again after the deadline: reverted
    redeem = h.machine_txs[-1].hash
    reorg, at = fault_entry(T0 + 32, "chain.reorg", "dropped", depth=3), len(h.timeline)
    h.timeline.append(reorg)
    _time_warp(h, T0 + 32.02, PERIOD)
    _entry(h, T0 + 60, "final", "step")
    _chain(h, CLOSE_TS + 2 + PERIOD)

    def dropping(tx_hash: str) -> History:
        h.timeline[at] = replace(
            reorg, note=f"{tx_hash} (from 0x{'22' * 20}, block 201)")
        return h

    assert outcomes(check(dropping("0x" + "ab" * 32))) == STRICT   # another transaction
    report = check(dropping(redeem))
    assert outcomes(report) == EXEMPT, report.render_text()
    window = report.verdict("INV-7").first.evidence["close_window"][0]
    assert window["machine_could_act"] is False and window["sync_rounds"] == 0


def test_a_warp_short_of_the_deadline_leaves_the_final_heal_inside_the_window():
    h = _closed(base())
    _time_warp(h, T0 + 32, 600)
    _chain(h, CLOSE_TS + 602, CLOSE_TS + 3_700)    # a later block passed the deadline
    report = check(h)
    assert outcomes(report) == STRICT, report.render_text()
    window = report.verdict("INV-7").first.evidence["close_window"][0]
    assert window["machine_could_act"] is True and window["ended_by"] == "deadline"
    passed = window["deadline_passed"]             # host time from T0+30.1 did the rest
    assert passed["at"] == pytest.approx(T0 + 30.1 + PERIOD + 1 - 600)
    assert passed["by"] is None and passed["warped_s"] == 600


def test_a_warp_step_counts_like_the_fault():
    h = _closed(base())
    _entry(h, T0 + 32, "warp", "step", hours=1.5)
    _chain(h, CLOSE_TS + 2 + 5_400)
    report = check(h)
    assert outcomes(report) == EXEMPT, report.render_text()
    assert "with the warp of 5400 s" in report.verdict("INV-2").first.message


def test_a_warp_before_the_close_does_not_count():
    h = base()
    _entry(h, T0 + 25, "chain.time_warp", "fire", seconds=2 * PERIOD)
    _closed(h)
    _chain(h, CLOSE_TS + 3_700)
    report = check(h)
    assert outcomes(report) == STRICT, report.render_text()


def test_host_time_alone_passes_a_short_deadline():
    h = _closed(base(), deadline=CLOSE_TS + 5)
    _chain(h, CLOSE_TS + 29)
    report = check(h)
    assert outcomes(report) == EXEMPT, report.render_text()
    passed = report.verdict("INV-2").first.evidence["close_window"][0]["deadline_passed"]
    assert passed["at"] == pytest.approx(T0 + 30.1 + 6) and passed["by"] is None
    assert "with 6 s of host time" in report.verdict("INV-2").first.message


def test_a_settle_before_the_deadline_still_ends_the_window():
    h = _closed(base())
    _step(h, T0 + 31, "settle")
    _event(h, "Settled", 300, paid=100, refunded=9_900)
    _time_warp(h, T0 + 32, PERIOD + 1)
    _chain(h, CLOSE_TS + 2 + PERIOD + 1)
    report = check(h)
    assert outcomes(report) == EXEMPT, report.render_text()
    assert "the channel settled while the machine was offline" in \
        report.verdict("INV-2").first.message
    assert report.verdict("INV-2").first.evidence["close_window"][0]["ended_by"] == "settle"


def test_the_blocks_round_trip_through_json():
    h = _closed(base())
    _time_warp(h, T0 + 32, PERIOD + 1)
    _chain(h, CLOSE_TS + 3_603)
    again = History.from_json(json.loads(json.dumps(h.to_json())))
    assert again == h and again.blocks[1] == Block(201, CLOSE_TS + 3_603)
    assert check(again).to_json() == check(h).to_json()


def test_a_deadline_that_is_not_a_number_is_refused():
    h = _closed(base(), deadline="soon")
    with pytest.raises(HistoryError, match="deadline 'soon'"):
        check(h)
