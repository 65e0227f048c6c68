"""The auditor's report: Allure results of a real scenario run, one offline HTML file that
headless Chromium renders with the fault timeline, environment and categories, the summary.

The end-to-end tests share ONE real scenario run (a pytest subprocess with ``--alluredir``,
as ``rig run --report`` does); the others build results by hand and need no chain.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from allure_commons.model2 import TestResult as AllureResult

from rig.history import History, MachineTx, TimelineEntry
from rig.report.allure_sink import AllureSink
from rig.report.categories import CATEGORIES, INFRASTRUCTURE, VIOLATION, status_message
from rig.report.chain_txs import chain_txs
from rig.report.chromium import dump_dom, file_url, find_chromium, visible_text
from rig.report.environment import properties
from rig.report.errors import (
    AllureGenerateError,
    ChromiumNotFoundError,
    NoResultsError,
    ReportNotOfflineError,
)
from rig.report.html import render_html
from rig.report.offline import offline_problems
from rig.report.record import RunRecord
from rig.report.scenario_report import write_scenario
from rig.report.single_file import case_uid
from rig.report.summary import credits, load_results, render_summary
from rig.scenario.model import Scenario, Settings, Step

ROOT = Path(__file__).resolve().parents[2]
RUN_SEED = 4242
SCENARIO_NAME = "report: power cut after one coffee"
SCENARIO = f"""\
name: "{SCENARIO_NAME}"
description: One coffee is sold, then the mains go off; the final phase brings it back.
settings:
  phones: 1
steps:
  - boot
  - tap: {{phone: 1}}
  - fault: {{kind: power.cut}}
"""


def _properties(text: str) -> dict[str, str]:
    """A java.util.Properties reader for the subset environment.properties uses."""
    out = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = re.split(r"(?<!\\) = ", line, maxsplit=1)
        assert len(parts) == 2, f"not a 'key = value' line: {line!r}"
        out[_unescape(parts[0])] = _unescape(parts[1])
    return out


def _unescape(s: str) -> str:
    s = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), s)
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


# ---------------------------------------------------------------------- one real run
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("report")
    scenarios = base / "scenarios"
    scenarios.mkdir()
    (scenarios / "report-power-cut.yaml").write_text(SCENARIO)
    results = base / "reports" / "allure-results"
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "rig.pytestplugin",
            "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(scenarios),
            "--alluredir", str(results), "--rig-seed", str(RUN_SEED), "-q"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, f"the scenario run failed:\n{done.stdout[-4000:]}\n" \
                                 f"{done.stderr[-2000:]}"
    result_files = list(results.glob("*-result.json"))
    assert len(result_files) == 1, f"expected one Allure result, got {result_files}"
    return SimpleNamespace(base=base, results=results,
                           result=json.loads(result_files[0].read_text()))


@pytest.fixture(scope="module")
def chromium() -> Path:
    try:
        return find_chromium()
    except ChromiumNotFoundError:
        pass
    done = subprocess.run(["bash", str(ROOT / "tools" / "install-debian.sh"), "chromium:chromium"],
                          capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        pytest.skip("chromium cannot be installed here (tools/install-debian.sh chromium:chromium "
                    f"exited "
                    f"{done.returncode}: {done.stderr.strip()[-300:]})")
    return find_chromium()


def _attachment(run: SimpleNamespace, name: str) -> str:
    for att in run.result["attachments"]:
        if att["name"] == name:
            return (run.results / att["source"]).read_text()
    raise AssertionError(f"no attachment {name!r}; there are "
                         f"{[a['name'] for a in run.result['attachments']]}")


@pytest.mark.slow
def test_scenario_result_has_phases_labels_and_attachments(run: SimpleNamespace) -> None:
    r = run.result
    assert r["name"] == SCENARIO_NAME
    assert r["status"] == "passed"
    labels = {(lb["name"], lb["value"]) for lb in r["labels"]}
    assert ("parentSuite", "scenarios") in labels
    assert any(n == "suite" and v.endswith("scenarios/report-power-cut.yaml")
               for n, v in labels)
    phases = [s["name"] for s in r["steps"]]
    assert [p.split(":")[0] for p in phases] == ["set-up", "scenario", "final", "oracle"]
    scenario_steps = [s["name"] for s in r["steps"][1]["steps"]]
    assert scenario_steps[:2] == ["boot", "tap(phone=1)"]
    assert any(s.startswith("fault power.cut fired") for s in scenario_steps)
    tap = r["steps"][1]["steps"][1]
    assert {"name": "taps", "value": "phone 1: served (seq 1)"} in \
        [{"name": p["name"], "value": p["value"]} for p in tap["parameters"]]
    invariants = r["steps"][3]["steps"]
    assert len(invariants) >= 8 and all(s["status"] == "passed" for s in invariants)
    starts = [s["start"] for s in r["steps"]]
    assert starts == sorted(starts) and starts[0] < starts[-1], "phases carry real times"

    timeline = json.loads(_attachment(run, "fault timeline (JSON)"))
    fired = [e for e in timeline if e["action"] == "fire"]
    assert [e["kind"] for e in fired] == ["power.cut"]
    assert "power.cut" in _attachment(run, "fault timeline")
    txs = json.loads(_attachment(run, "chain transactions (JSON)"))
    assert any(t["kind"] == "redeem" and t["status"] == "success" and "Redeemed" in t["events"]
               for t in txs)
    oracle = json.loads(_attachment(run, "oracle report (JSON)"))
    assert oracle["ledger"]["redeemed"] == oracle["ledger"]["dispensed_value"] > 0
    assert '"event": "boot"' in _attachment(run, "firmware log (console.jsonl)")
    assert _attachment(run, "brew board log (dispenses.jsonl)").strip()
    assert len(json.loads(_attachment(run, "phone log (signed receipts)"))) == 1
    record = RunRecord.from_json(json.loads(_attachment(run, "run record")))
    assert (record.run_seed, record.outcome, record.coffees) == (RUN_SEED, "passed", 1)
    assert record.replay in _attachment(run, "seed and replay")
    assert f"rig replay {RUN_SEED}" in record.replay


@pytest.mark.slow
def test_environment_properties(run: SimpleNamespace) -> None:
    env = _properties((run.results / "environment.properties").read_text(encoding="ascii"))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    assert env["firmware.commit"] == head
    assert env["anvil.version"].startswith("anvil") and "1." in env["anvil.version"]
    assert re.match(r"0\.8\.\d+", env["solc.version"]), env["solc.version"]
    assert env["profile"] == "emulated"
    assert env["run.seed"] == str(RUN_SEED)


@pytest.mark.slow
def test_categories_json(run: SimpleNamespace) -> None:
    doc = json.loads((run.results / "categories.json").read_text())
    by_name = {c["name"]: c for c in doc}
    assert set(by_name) == {"Invariant violation", "Scenario expectation failed",
                            "Inconclusive: target invariant undecided",
                            "Rig infrastructure error"}
    assert by_name["Rig infrastructure error"]["matchedStatuses"] == ["broken"]
    for outcome, name in (("violated", "Invariant violation"),
                          ("failed", "Scenario expectation failed"),
                          ("inconclusive", "Inconclusive: target invariant undecided"),
                          ("error", "Rig infrastructure error")):
        status, message = status_message(outcome, "INV-3 exactly-once coffee: P != B + C\nmore")
        matching = [c["name"] for c in doc if status in c["matchedStatuses"]
                    and re.fullmatch(c["messageRegex"], message)]
        assert matching == [name], (outcome, matching)


@pytest.mark.slow
def test_single_html_renders_the_fault_timeline_in_chromium(run: SimpleNamespace,
                                                            chromium: Path) -> None:
    report_dir = run.results.parent            # as `rig run --report DIR` renders
    html_path = render_html(run.results, report_dir)
    assert sorted(p.name for p in report_dir.iterdir()) == ["allure-results", "report.html"]
    assert list(run.results.glob("*-result.json")), "rendering must not delete the results"
    html = html_path.read_text()
    assert offline_problems(html) == []
    uid = case_uid(html, SCENARIO_NAME)
    text = visible_text(dump_dom(file_url(html_path, f"testresult/{uid}"), chromium=chromium))
    assert SCENARIO_NAME in text
    assert "Fault timeline" in text and "power.cut" in text
    assert "fault power.cut fired" in text
    assert f"rig replay {RUN_SEED}" in text


@pytest.mark.slow
def test_summary_from_the_results_directory(run: SimpleNamespace) -> None:
    loaded = load_results(run.results)
    assert [r.scenario for r in loaded.records] == [SCENARIO_NAME]
    text = render_summary(loaded.records, loaded.other, loaded.unreadable)
    row = next(line for line in text.splitlines() if line.startswith(SCENARIO_NAME))
    assert re.search(r"passed\s+1: power\.cut\s+1\s+0\.15/0\.15/0\.00\s+\d+\.\ds\s+—$", row), \
        row
    assert "1 scenario(s): 1 passed, 0 violated" in text
    assert "replay the failures" not in text


# ---------------------------------------------------------------------- no chain needed
def test_offline_check_flags_analytics_and_network_fetches() -> None:
    clean = ('<html><head><link rel="icon" href="data:image/x-icon;base64,AAAB">'
             '<script src="data:text/javascript;base64,KGZ1"></script></head>'
             '<body><a href="https://example.org/docs">docs</a>'
             '<script>var ns = "http://www.w3.org/2000/svg";</script></body></html>')
    assert offline_problems(clean) == []
    tracked = ('<html><head><script async src="https://www.googletagmanager.com/gtag/js?id=G-X">'
               '</script><script>window.dataLayer = []; function gtag(){}</script>'
               '<link rel="stylesheet" href="//cdn.example.org/a.css">'
               '<style>body{background:url(https://x.example/i.png)}</style></head></html>')
    problems = [str(p) for p in offline_problems(tracked)]
    assert any("googletagmanager" in p and "analytics" in p for p in problems)
    assert any("dataLayer" in p for p in problems)
    assert any("<link href" in p for p in problems)
    assert any("<style>" in p for p in problems)


def test_render_refuses_a_missing_or_empty_results_dir(tmp_path: Path) -> None:
    with pytest.raises(NoResultsError, match="no such results directory"):
        render_html(tmp_path / "nothing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoResultsError, match=r"no \*-result.json"):
        render_html(tmp_path / "empty", tmp_path / "out")


FAKE_ALLURE = """#!/usr/bin/env bash
# Stands in for `allure generate RESULTS -o OUT --clean --single-file`.
out=""; while [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then out="$2"; shift; fi; shift; done
mkdir -p "$out"
{body}
"""
TRACKER = '<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>'


def _fake_allure(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "allure"
    script.write_text(FAKE_ALLURE.format(body=body))
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(("body", "error", "match"), [
    # like the real CLI: the analytics tag unless ALLURE_NO_ANALYTICS is exactly "true"
    (f"""if [ "$ALLURE_NO_ANALYTICS" = true ]; then echo '<html>ok</html>' > "$out/index.html"
     else echo '<html>{TRACKER}</html>' > "$out/index.html"; fi""", None, ""),
    (f"""echo '<html>{TRACKER}</html>' > "$out/index.html" """, ReportNotOfflineError,
     "googletagmanager"),
    ("""echo '<html></html>' > "$out/index.html"; mkdir "$out/data"; echo '{}' > "$out/data/a"
     """, AllureGenerateError, "one index.html"),
    ("""echo 'java.lang.OutOfMemoryError' >&2; exit 3""", AllureGenerateError,
     "exited 3: java.lang.OutOfMemoryError"),
])
def test_render_sets_no_analytics_and_refuses_what_is_not_one_offline_file(
        tmp_path: Path, body: str, error: type[Exception] | None, match: str) -> None:
    results = tmp_path / "reports" / "allure-results"
    results.mkdir(parents=True)
    (results / "x-result.json").write_text("{}")
    allure = _fake_allure(tmp_path, body)
    if error is None:
        path = render_html(results, results.parent, allure=allure)
        assert path.read_text().strip() == "<html>ok</html>"
    else:
        with pytest.raises(error, match=match):
            render_html(results, results.parent, allure=allure)
        assert not (results.parent / "report.html").exists()
    assert sorted(p.name for p in results.parent.iterdir()) == \
        ["allure-results"] + (["report.html"] if error is None else [])
    assert (results / "x-result.json").exists()


def test_summary_shows_exact_credits_and_replays_failures() -> None:
    assert (credits(300_000), credits(300_001), credits(0), credits(None)) == \
        ("0.30", "0.300001", "0.00", "—")
    ledger = {"redeemed": 300_001, "dispensed_value": 300_000, "credits": 0}
    records = [
        RunRecord("ok one", "ok-one", "scenarios/ok-one.yaml", 7, 11, "passed",
                  "rig replay 7 scenarios/ok-one.yaml", 2.0, coffees=2, ledger=ledger),
        RunRecord("overcharged", "over", "scenarios/over.yaml", 7, 12, "violated",
                  "rig replay 7 scenarios/over.yaml", 3.5, faults_fired=["power.cut"] * 2
                  + ["net.blackhole"], coffees=2, ledger=ledger, retried=True),
    ]
    text = render_summary(records)
    assert "0.300001/0.30/0.00" in text
    assert "3: power.cut x2, net.blackhole" in text
    assert "violated (retried)" in text
    replays = text.split("replay the failures:")[1]
    assert "rig replay 7 scenarios/over.yaml" in replays and "ok-one" not in replays


def test_environment_values_are_escaped_for_java_properties() -> None:
    values = {"chain": "http://127.0.0.1:8545", "note": "a=b\nc ü"}
    assert _properties(properties(values)) == values


def _history(timeline: list[TimelineEntry]) -> History:
    return History(scenario="x", seed=5, chain_id=31337, payment_provider="0xpp",
                   channel_id="0xch", prices={1: 100}, settings={"profile": "emulated"},
                   timeline=timeline,
                   machine_txs=[MachineTx("0xaa", 0, "redeem", 0, 9, {"sequence": 1},
                                          gas_used=51_234)])


class _FailingReport:
    """Stands in for an OracleReport: only to_json() and render_text() are used."""

    def to_json(self) -> dict:
        violation = {"invariant": "INV-3", "name": "exactly-once coffee", "channel": "0xch",
                     "outcome": "fail", "message": "P 300 != value(B) 200 + C 0",
                     "severity": 100.0, "at": 12.0,
                     "evidence": {"dispensed": [{"brew_id": 1, "price": 100}]},
                     "timeline": [{"dt": -0.5, "kind": "power.cut", "action": "fire",
                                   "params": {}, "checkpoint": "brew-started", "note": ""}],
                     "seed": 5, "replay": "rig replay 1 s.yaml"}
        return {"channel": "0xch", "ledger": {"redeemed": 300, "dispensed_value": 200,
                                              "credits": 0, "future_number": 1},
                "verdicts": [{"id": "INV-1", "name": "no free coffee", "outcome": "ok",
                              "summary": "held", "count": 0},
                             {"id": "INV-3", "name": "exactly-once coffee", "outcome": "fail",
                              "summary": violation["message"], "count": 1,
                              "first": violation, "worst": violation, "last": violation}]}

    def render_text(self) -> str:
        return "ORACLE → FAIL"


def _result(outcome: str, message: str, history: History | None, report: object) -> object:
    from rig.scenario.runner import RunResult

    sc = Scenario("s", "d", Settings(), (Step("boot", {}, "s.yaml: steps[0] boot"),),
                  Path("s.yaml"))
    return RunResult(sc, 1, 5, outcome, message, history, report,  # type: ignore[arg-type]
                     duration=4.0)


def test_violation_is_failed_with_evidence_under_its_invariant() -> None:
    timeline = [TimelineEntry(10.0, "boot", "step", {}, None, "s.yaml: steps[0] boot"),
                TimelineEntry(11.5, "power.cut", "fire", {}, "brew-started", "cut"),
                TimelineEntry(13.0, "final", "step", {}, None, "final sync")]
    sink = AllureSink(AllureResult())
    write_scenario(sink, _result("violated", "INV-3 failed", _history(timeline),
                                 _FailingReport()), run_end=15.0)
    t = sink.test
    assert t.status == "failed"
    assert re.fullmatch(VIOLATION.to_json()["messageRegex"], t.statusDetails.message)
    oracle = t.steps[-1]
    inv3 = next(s for s in oracle.steps if s.name.startswith("INV-3"))
    assert (oracle.status, inv3.status) == ("failed", "failed")
    assert [a.name for a in inv3.attachments] == ["INV-3 evidence"]
    assert t.steps[0].start == 11_000 and t.steps[1].start == 10_000   # run_end - duration
    assert "power.cut" in t.descriptionHtml
    names = [a.name for a in t.attachments]
    assert {"fault timeline", "chain transactions", "ledger and invariants",
            "run record"} <= set(names)


def test_rig_error_without_history_is_broken_infrastructure() -> None:
    sink = AllureSink(AllureResult())
    record = write_scenario(sink, _result("error", "(retried once) ChainError: node gone",
                                          None, None), run_end=15.0)
    assert sink.test.status == "broken"
    assert sink.test.statusDetails.message.startswith(INFRASTRUCTURE.marker)
    assert sink.test.statusDetails.flaky is True and record.retried
    assert [s.status for s in sink.test.steps] == ["broken", "broken"]   # set-up, oracle
    assert record.coffees is None and "no oracle report" in record.oracle_error
    assert len(CATEGORIES) == 4


def test_failed_step_is_marked_where_the_scenario_says() -> None:
    timeline = [TimelineEntry(10.0, "boot", "step", {}, None, "s.yaml: steps[0] boot"),
                TimelineEntry(11.0, "tap", "step", {"phone": 1}, "synced",
                              "s.yaml: steps[1] tap")]
    sink = AllureSink(AllureResult())
    write_scenario(sink, _result("failed", "s.yaml: steps[1] tap: expected 'served'",
                                 _history(timeline), _FailingReport()), run_end=15.0)
    steps = sink.test.steps[1].steps
    assert [s.status for s in steps] == ["passed", "failed"]
    assert sink.test.steps[2].status == "skipped"          # final phase never reached
    assert sink.test.statusDetails.message.startswith("[scenario expectation]")


def test_chain_transactions_carry_gas_and_status() -> None:
    txs = chain_txs(_history([]))
    assert [(t.hash, t.status, t.gas_used, t.sender) for t in txs] == \
        [("0xaa", "reverted", 51_234, "machine")]
    old = MachineTx(**{k: v for k, v in vars(_history([]).machine_txs[0]).items()
                       if k != "gas_used"})
    assert old.gas_used is None, "histories recorded before gas_used still load"
