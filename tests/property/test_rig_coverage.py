"""The dangerous states are recognised from an example's timeline and firmware log, and
only when they happened (each detector fails for a near miss)."""

from __future__ import annotations

from typing import Any

import pytest

from rig.history import TimelineEntry
from tests.property.rig_coverage import NAMES, STATES, Evidence, reached


def _t(kind: str, action: str, **params: Any) -> TimelineEntry:
    return TimelineEntry(0.0, kind, action, params, None, "")


def _ev(timeline: list[TimelineEntry] = (), console: list[dict] = ()) -> Evidence:  # type: ignore[assignment]
    return Evidence(tuple(timeline), tuple(console))


def _log(event: str, kind: str, tx: str) -> dict[str, Any]:
    return {"event": event, "kind": kind, "hash": tx}


REACHED = {
    "cut-after-receipt-signed": _ev([_t("power.cut_at_checkpoint", "cut",
                                        checkpoint="receipt-signed")]),
    "cut-after-redeem-signed": _ev([_t("power.cut_at_checkpoint", "cut",
                                       checkpoint="redeem-signed")]),
    "redeem-answer-lost": _ev(console=[_log("tx-broadcast-unanswered", "redeem", "0xa"),
                                       _log("tx-final", "redeem", "0xa")]),
    "close-while-offline": _ev([_t("net.blackhole", "fire"), _t("close", "step")]),
    "confirmed-redeem-reorged-out": _ev(console=[_log("tx-final", "redeem", "0xb"),
                                                 _log("tx-reorged-out", "redeem", "0xb")]),
    "phone-left-after-signing": _ev([_t("nfc.pull_away", "fire", phone=2,
                                        when="before-response"), _t("tap", "step", phone=2)]),
    "restored-old-backup": _ev([_t("machine.restore_backup", "restored", label="b")]),
    "tap-while-storage-full": _ev([_t("power.storage_full", "fire"), _t("tap", "step")]),
}
NEAR_MISSES = {
    "cut-after-receipt-signed": _ev([_t("power.cut_at_checkpoint", "miss",
                                        checkpoint="receipt-signed")]),
    "cut-after-redeem-signed": _ev([_t("power.cut_at_checkpoint", "cut",
                                       checkpoint="redeem-broadcast")]),
    "redeem-answer-lost": _ev(console=[_log("tx-broadcast-unanswered", "redeem", "0xa"),
                                       _log("tx-final", "redeem", "0xc")]),
    "close-while-offline": _ev([_t("net.blackhole", "fire"), _t("net.blackhole", "heal"),
                                _t("close", "step")]),
    "confirmed-redeem-reorged-out": _ev(console=[_log("tx-reorged-out", "redeem", "0xb"),
                                                 _log("tx-final", "redeem", "0xb")]),
    "phone-left-after-signing": _ev([_t("nfc.pull_away", "fire", phone=2,
                                        when="before-response"), _t("tap", "step", phone=1)]),
    "restored-old-backup": _ev([_t("backup", "step", label="b")]),
    "tap-while-storage-full": _ev([_t("power.storage_full", "fire"),
                                   _t("power.storage_full", "heal"), _t("tap", "step")]),
}


def test_every_state_has_a_case_of_each():
    assert set(REACHED) == set(NEAR_MISSES) == set(NAMES)
    assert len(set(NAMES)) == len(STATES)


@pytest.mark.parametrize("name", NAMES)
def test_a_state_is_reached_only_when_it_happened(name: str) -> None:
    assert reached(REACHED[name]) == [name]
    assert name not in reached(NEAR_MISSES[name])


def test_a_torn_console_line_is_skipped(tmp_path):
    log = tmp_path / "console.jsonl"
    log.write_text('{"event": "tx-final", "kind": "redeem", "hash": "0xa"}\n{"event": "tx-')
    assert Evidence.of([], log).console == ({"event": "tx-final", "kind": "redeem",
                                             "hash": "0xa"},)
    assert Evidence.of([], tmp_path / "none.jsonl").console == ()
