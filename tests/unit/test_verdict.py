"""A run's outcome from the oracle's report and the scenario's expectations, and how re-runs
classify a failure (rig/scenario/verdict.py); the inconclusive outcome in the summary, the
Allure status and the pytest item."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from allure_commons.model2 import TestResult as AllureResult

from rig.oracle.ledger import Ledger
from rig.oracle.report import OracleReport, Verdict
from rig.pytestplugin.scenarios import attempt
from rig.report.allure_sink import AllureSink
from rig.report.categories import INCONCLUSIVE, status_message
from rig.report.record import record_of
from rig.report.scenario_report import write_scenario
from rig.report.summary import render_summary
from rig.scenario.model import Scenario, Settings, Step
from rig.scenario.runner import RunOptions, RunResult
from rig.scenario.verdict import classify, decide, signature

LEDGER = Ledger(**{f.name: 0 for f in dataclasses.fields(Ledger)})   # only verdicts matter


def _report(**outcomes: str) -> OracleReport:
    """A crafted report: INV-n → ok / fail / info."""
    verdicts = [Verdict(id_.replace("_", "-"), "name", outcome,
                        "held: x" if outcome == "ok" else
                        ("undecided: " if outcome == "info" else "") + f"{id_} finding")
                for id_, outcome in outcomes.items()]
    return OracleReport("s", 5, "0xch", "rig replay 1 s.yaml", LEDGER, verdicts)


def test_an_undecided_target_is_inconclusive_not_passed():
    d = decide(_report(INV_2="ok", INV_7="info"), "", {"INV-7": "ok"})
    assert d.outcome == "inconclusive"
    assert d.message == ("inconclusive: the rig could not establish what this scenario "
                         "tests: INV-7 undecided: INV_7 finding")


def test_an_undecided_invariant_that_is_not_a_target_still_passes():
    assert decide(_report(INV_2="ok", INV_7="info"), "", {"INV-2": "ok"}).outcome == "passed"


def test_nothing_decided_is_inconclusive_whatever_the_expectation():
    d = decide(_report(INV_2="info", INV_3="info"), "", {})
    assert d.outcome == "inconclusive" and "decided no invariant" in d.message


def test_violated_wins_over_inconclusive_and_failed_over_inconclusive():
    assert decide(_report(INV_2="fail", INV_7="info"), "step x", {"INV-7": "ok"}).outcome \
        == "violated"
    d = decide(_report(INV_2="ok", INV_7="info"), "s.yaml: steps[1] tap: refused",
               {"INV-7": "ok"})
    assert d.outcome == "failed"
    assert d.message.startswith("s.yaml: steps[1] tap") and "INV-7 undecided" in d.message


def test_a_target_the_oracle_did_not_check_is_inconclusive():
    d = decide(_report(INV_2="ok"), "", {"INV-9": "ok"})
    assert d.outcome == "inconclusive" and "INV-9 was not checked" in d.message


def _result(outcome: str, message: str = "", report: OracleReport | None = None) -> RunResult:
    sc = Scenario("close offline", "d", Settings(), (Step("boot", {}, "s.yaml: steps[0]"),),
                  Path("s.yaml"), expect={"INV-7": "ok"})
    return RunResult(sc, 1, 5, outcome, message, None, report, duration=2.0)


def test_inconclusive_in_the_summary_and_as_its_own_allure_category():
    report = _report(INV_2="ok", INV_7="info")
    d = decide(report, "", {"INV-7": "ok"})
    result = _result(d.outcome, d.message, report)
    text = render_summary([record_of(result)])
    assert "close offline  inconclusive" in text
    assert "0 passed, 0 violated, 0 failed, 1 inconclusive, 0 error" in text
    assert status_message("inconclusive", "x") == ("broken", "[inconclusive] x")
    sink = AllureSink(AllureResult())
    write_scenario(sink, result, run_end=10.0)
    assert sink.test.status == INCONCLUSIVE.status == "broken"
    assert sink.test.statusDetails.message.startswith("[inconclusive] inconclusive: the rig")


def test_classifier_reproducible_intermittent_unconfirmed():
    assert classify("violated (INV-2)", ["violated (INV-2)"] * 3).describe() == \
        "reproducible: 3 of 3 re-runs violated (INV-2)"
    r = classify("violated (INV-2)", ["passed", "violated (INV-2)", "violated (INV-3)"])
    assert r.kind == "intermittent"
    assert r.describe() == ("intermittent: 1 of 3 re-runs violated (INV-2); the others "
                            "1 passed, 1 violated (INV-3)")
    r = classify("inconclusive", ["inconclusive", "error"])
    assert r.kind == "reproducible" and r.describe().endswith("1 re-run(s) hit a rig error")
    assert classify("failed", ["error", "error"]).kind == "unconfirmed"


def test_signature_tells_violations_of_different_invariants_apart():
    assert signature("violated", _report(INV_2="fail", INV_3="fail", INV_4="ok")) == \
        "violated (INV-2, INV-3)"
    assert signature("inconclusive", _report(INV_2="info")) == "inconclusive"


class _Runs:
    """Stands in for run_scenario: hands out the outcomes given, in order."""

    def __init__(self, *outcomes: str):
        self.outcomes, self.calls = list(outcomes), 0

    def __call__(self, sc: Scenario, opts: RunOptions) -> RunResult:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        return RunResult(sc, 1, 5, outcome, f"{outcome} #{self.calls}")


@pytest.mark.parametrize("outcome", ["violated", "failed", "inconclusive"])
def test_a_verdict_is_never_retried_and_reruns_never_turn_it_into_a_pass(outcome):
    runs = _Runs(outcome, "passed", "passed", outcome)
    result = attempt(_result("x").scenario, RunOptions(run_seed=1), 3, runs)
    assert runs.calls == 4                              # the run and its 3 re-runs
    assert (result.outcome, result.message) == (outcome, f"{outcome} #1")
    assert result.reproduction.describe() == \
        f"intermittent: 1 of 3 re-runs {outcome}; the others 2 passed"
    assert record_of(result).reproduction["kind"] == "intermittent"


def test_only_a_rig_error_is_retried_once_and_a_pass_is_not_rerun():
    runs = _Runs("error", "passed")
    result = attempt(_result("x").scenario, RunOptions(run_seed=1), 3, runs)
    assert runs.calls == 2 and result.outcome == "passed" and result.reproduction is None
    assert result.message.startswith("(retried once)")
    runs = _Runs("violated")
    assert attempt(_result("x").scenario, RunOptions(run_seed=1), 0, runs).reproduction is None
    assert runs.calls == 1


def test_a_missing_capability_is_not_retried():
    """The node lacks the capability the second time too: one run, reported as it was."""
    class _Lacking(_Runs):
        def __call__(self, sc: Scenario, opts: RunOptions) -> RunResult:
            r = super().__call__(sc, opts)
            r.missing_capability = "reorg"
            return r

    runs = _Lacking("error", "passed")
    result = attempt(_result("x").scenario, RunOptions(run_seed=1), 0, runs)
    assert runs.calls == 1
    assert result.outcome == "error" and not result.message.startswith("(retried once)")
