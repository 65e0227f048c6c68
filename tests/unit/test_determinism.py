"""The determinism self-check (rig/scenario/determinism.py): what a seed decides is compared,
what timing decides is only listed; the recording generator draws what Random draws."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rig.history import TimelineEntry
from rig.scenario.determinism import compare, fingerprint_of, selfcheck
from rig.scenario.draws import RecordingRandom

ROOT = Path(__file__).resolve().parents[2]
CUT = {"checkpoint": "receipt-persisted", "occurrence": 1, "wait_seconds": 120.0}


def _timeline(landed: str = "receipt-persisted", armed_at: str = "tap-done",
              tap_phone: int = 1) -> list[TimelineEntry]:
    return [TimelineEntry(1.0, "boot", "step", {}, None, "s.yaml: steps[0] boot"),
            TimelineEntry(2.0, "power.cut_at_checkpoint", "fire", CUT, armed_at, "cut#1"),
            TimelineEntry(3.0, "tap", "step", {"phone": tap_phone}, "synced", "s: steps[2]"),
            TimelineEntry(3.5, "power.cut_at_checkpoint", "cut", CUT, landed, "held"),
            TimelineEntry(4.0, "power.cut_at_checkpoint", "heal", CUT, "booted", "cut#1"),
            TimelineEntry(5.0, "final", "step", {}, "synced", "final sync")]


def test_the_same_run_twice_has_no_mismatch():
    draws = ["choice(<2>) -> 1", "random() -> 0.5"]
    assert compare(fingerprint_of(_timeline(), draws), fingerprint_of(_timeline(), draws)) == []


def test_a_different_draw_step_or_landing_checkpoint_is_a_mismatch():
    a = fingerprint_of(_timeline(), ["choice(<2>) -> 1"])
    b = fingerprint_of(_timeline(landed="brew-started", tap_phone=2), ["choice(<2>) -> 2"])
    found = {m.what: m for m in compare(a, b)}
    assert set(found) == {"steps", "draws", "landed"}
    assert found["draws"].index == 0 and found["draws"].second == "choice(<2>) -> 2"
    assert found["landed"].first.endswith("→ receipt-persisted")
    assert all(m.counts for m in found.values())


def test_where_the_firmware_was_when_a_fault_was_armed_is_timing_not_a_mismatch():
    a = fingerprint_of(_timeline(armed_at="tap-done"), [])
    b = fingerprint_of(_timeline(armed_at="synced"), [])
    (m,) = compare(a, b)
    assert (m.what, m.counts) == ("timing", False)


def test_a_run_that_stopped_early_is_a_mismatch_at_its_end():
    a = fingerprint_of(_timeline(), ["random() -> 0.5", "random() -> 0.7"])
    b = fingerprint_of(_timeline(), ["random() -> 0.5"])
    (m,) = compare(a, b)
    assert (m.what, m.index, m.second) == ("draws", 1, None)


def test_the_recording_generator_draws_exactly_what_random_draws():
    a, b = random.Random(42), RecordingRandom(42)
    for r in (a, b):
        r.values = [r.random(), r.choice("abc"), r.randint(1, 6), r.randbytes(4),
                    r.sample(range(50), 3), random.Random(r.random()).random()]
    assert a.values == b.values
    assert b.draws[:3] == ["random() -> 0.639426798458", "choice(<3>) -> 'a'",
                           "randint(1, 6) -> 6"]
    assert len(b.draws) == 6                 # choice's inner getrandbits is not noted


@pytest.mark.slow
def test_selfcheck_of_a_short_scenario_reproduces_what_the_seed_decides():
    (check,) = selfcheck([ROOT / "scenarios" / "sensor-missing-at-boot.yaml"], 11)
    assert not check.broke, check.outcomes
    assert check.ok, [m.describe() for m in check.mismatches]
    assert check.outcomes == ("passed", "passed")
