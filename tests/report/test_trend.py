"""History between runs (rig/report/trend.py): two consecutive renders into one report
directory carry Allure's trend over, keep each scenario's recent outcomes and mark a scenario
flaky when they hold both a pass and a failure."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from rig.report.html import ALLURE, render_html
from rig.report.record import RECORD_NAME, RunRecord
from rig.report.summary import summary_of
from rig.report.trend import HISTORY_FILE, is_flaky, keep_history


def _write_results(results: Path, outcome: str, stop: int) -> None:
    """One scenario's Allure result with its run record, as a `rig run --report` writes it."""
    shutil.rmtree(results, ignore_errors=True)          # as --clean-alluredir does
    results.mkdir(parents=True)
    record = RunRecord("close offline", "close-offline", "scenarios/close-offline.yaml", 7, 9,
                       outcome, "rig replay 7 scenarios/close-offline.yaml", 2.0)
    source = f"{uuid.uuid4()}-attachment.json"
    (results / source).write_text(json.dumps(record.to_json()))
    status = {"passed": "passed", "violated": "failed"}[outcome]
    doc = {"uuid": str(uuid.uuid4()), "historyId": "close-offline-history",
           "testCaseId": "close-offline", "fullName": "scenarios/close-offline.yaml",
           "name": "close offline", "status": status, "start": stop - 2000, "stop": stop,
           "descriptionHtml": "<p>d</p>", "labels": [{"name": "suite", "value": "s"}],
           "attachments": [{"name": RECORD_NAME, "source": source,
                            "type": "application/json"}]}
    (results / f"{doc['uuid']}-result.json").write_text(json.dumps(doc))


def _result(results: Path) -> dict:
    (path,) = results.glob("*-result.json")
    return json.loads(path.read_text())


def test_flaky_needs_both_a_pass_and_a_verdict_failure():
    assert is_flaky(["passed", "violated"]) and is_flaky(["inconclusive", "passed"])
    assert not is_flaky(["passed", "error", "passed"]) and not is_flaky(["violated"] * 3)


def test_two_runs_keep_recent_outcomes_and_mark_the_scenario_flaky(tmp_path):
    report, results = tmp_path / "reports", tmp_path / "reports" / "allure-results"
    _write_results(results, "passed", 1_000_000)
    keep_history(results, report)
    assert "flaky" not in (_result(results).get("statusDetails") or {})
    _write_results(results, "violated", 2_000_000)
    keep_history(results, report)
    keep_history(results, report)                       # rendering again adds nothing
    runs = json.loads((report / HISTORY_FILE).read_text())["scenarios"]
    assert [e["outcome"] for e in runs["scenarios/close-offline.yaml::close-offline"]] == \
        ["passed", "violated"]
    doc = _result(results)
    assert doc["statusDetails"]["flaky"] is True
    assert "passed, violated" in doc["descriptionHtml"] and "flaky" in doc["descriptionHtml"]
    text = summary_of(results)
    assert "violated, flaky" in text and "  PV" in text and "1 flaky" in text


@pytest.mark.skipif(not ALLURE.exists() or shutil.which("java") is None,
                    reason="needs npm allure-commandline and Java (make deps)")
def test_two_renders_carry_allures_trend_over(tmp_path):
    report, results = tmp_path / "reports", tmp_path / "reports" / "allure-results"
    for n, outcome in enumerate(["passed", "violated"], start=1):
        _write_results(results, outcome, n * 1_000_000)
        trend = keep_history(results, report)
        render_html(results, report, history_dir=trend.allure_history)
    builds = json.loads((report / "allure-report" / "history" / "history-trend.json")
                        .read_text())
    assert [b["data"]["failed"] for b in builds] == [1, 0]        # newest first
    history = json.loads((report / "allure-report" / "history" / "history.json").read_text())
    (scenario,) = history.values()                      # one scenario, two runs of it
    assert [i["status"] for i in scenario["items"]] == ["failed", "passed"]
    trend = keep_history(results, report)                 # `rig report` on the same results
    render_html(results, report, history_dir=trend.allure_history)
    builds = json.loads((report / "allure-report" / "history" / "history-trend.json")
                        .read_text())
    assert len(builds) == 2, "rendering the same results again must not add a build"
