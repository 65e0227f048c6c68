"""The fuzz settings profiles and the nightly runner's bookkeeping (not the fuzzing itself)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import fuzz_nightly
from tests.fuzz import hang, profiles
from tests.fuzz.outcome import run_parser


def test_nightly_runs_at_least_100000_inputs_per_test_with_a_deadline(monkeypatch) -> None:
    """The deadline flags gross slowness; hangs are the CPU guard's (next test)."""
    monkeypatch.setenv(profiles.PROFILE_ENV, "nightly")
    monkeypatch.delenv(profiles.EXAMPLES_ENV, raising=False)
    nightly = profiles.fuzz(weight=0.1)
    assert nightly.max_examples >= 100_000
    assert nightly.deadline is not None and not nightly.derandomize


def test_a_parser_stuck_on_an_input_is_stopped_as_a_hang(monkeypatch) -> None:
    def spin(_data: bytes) -> None:
        while True:
            pass

    monkeypatch.setattr(hang, "HANG_CPU_SECONDS", 0.2)
    with pytest.raises(hang.ParserHang, match=r"more than 0\.2 s of CPU on one input"):
        run_parser(spin, ValueError, b"")
    assert run_parser(len, ValueError, b"abc").value == 3   # the guard went with the input
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_ci_is_deterministic_and_the_default(monkeypatch) -> None:
    monkeypatch.delenv(profiles.PROFILE_ENV, raising=False)
    monkeypatch.delenv(profiles.EXAMPLES_ENV, raising=False)
    ci = profiles.fuzz()
    assert profiles.active_profile() == "ci"
    assert ci.derandomize and ci.max_examples == profiles.CI_EXAMPLES and ci.database is None
    assert profiles.fuzz(weight=2).max_examples == 2 * profiles.CI_EXAMPLES


@pytest.mark.parametrize(("env", "value"), [(profiles.PROFILE_ENV, "weekly"),
                                            (profiles.EXAMPLES_ENV, "-5"),
                                            (profiles.EXAMPLES_ENV, "many")])
def test_a_bad_setting_in_the_environment_is_named(monkeypatch, env: str, value: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(profiles.FuzzProfileError, match=env):
        profiles.fuzz()


def test_the_nightly_runner_covers_every_fuzz_file() -> None:
    files = {p.stem for p in Path(__file__).parent.glob("test_fuzz_*.py")} - {Path(__file__).stem}
    assert {m.rsplit(".", 1)[1] for m in fuzz_nightly.PARSERS.values()} == files
    for module in fuzz_nightly.PARSERS.values():
        assert fuzz_nightly.fuzz_tests(module), f"{module} has no fuzz tests"


def test_pinned_known_bugs_are_not_fuzzed_nightly() -> None:
    names = [n for n, _ in fuzz_nightly.fuzz_tests("tests.fuzz.test_fuzz_scenario_loader")]
    assert "test_a_non_utf8_file_is_a_scenario_error" not in names
    assert "test_any_utf8_file_gives_a_scenario_or_a_scenario_error" in names


@settings(max_examples=200, database=None, derandomize=True)
@given(st.integers(0, 1000))
def _fails_from_ten(x: int) -> None:
    assert x < 10


def test_the_runner_counts_inputs_and_keeps_the_minimal_failing_example(tmp_path) -> None:
    run = fuzz_nightly.run_test("fails_from_ten", _fails_from_ten, tmp_path, seed=None)
    assert run.inputs > 1
    assert len(run.failures) == 1
    assert run.failures[0].error == "AssertionError"
    assert "x=10" in run.failures[0].minimal_example


@settings(max_examples=10**6, database=None, derandomize=True)
@given(st.integers(0, 1000))
def _never_fails(x: int) -> None:
    assert x >= 0


@settings(max_examples=10**6, database=None, derandomize=True)
@given(st.integers(0, 10**6))
def _fails_slowly(x: int) -> None:
    if x >= 10:
        time.sleep(0.05)   # each failing input outlasts a quarter of the box below
        raise AssertionError(f"{x} >= 10")


def test_the_time_box_stops_a_test_between_inputs_and_says_so(tmp_path) -> None:
    run = fuzz_nightly.run_test("never_fails", _never_fails, tmp_path, seed=None, seconds=0.3)
    assert run.stopped_by_clock and not run.failures
    assert 0 < run.inputs < 10**6


def test_the_time_box_never_cuts_the_shrinking_of_a_failure(tmp_path) -> None:
    """The first failing input comes within the box; shrinking it outlasts the box, and the
    minimal example still comes out whole."""
    run = fuzz_nightly.run_test("fails_slowly", _fails_slowly, tmp_path, seed=None,
                                seconds=0.2)
    assert not run.stopped_by_clock and run.seconds > 0.2
    assert [f.error for f in run.failures] == ["AssertionError"]
    assert "x=10" in run.failures[0].minimal_example
