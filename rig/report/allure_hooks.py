"""pytest hooks that fill the Allure results of scenario items (registered by
``rig.pytestplugin``; inactive without ``--alluredir``).

- ``pytest_runtest_makereport`` (outermost wrapper, so it runs after allure-pytest's own):
  writes the item's ``RunResult`` into its Allure result and sets the status from the
  outcome. A report that cannot be written never changes the verdict: the error becomes a
  pytest warning and an attachment on the result, both naming what failed.
- ``pytest_unconfigure``: writes ``environment.properties`` and ``categories.json`` into the
  results directory once all results are in (on the xdist controller, not on workers).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import traceback
import warnings
from collections.abc import Generator
from pathlib import Path

import pytest

from rig.pytestplugin.scenarios import RESULT_KEY, ScenarioItem
from rig.pytestplugin.seed import run_seed
from rig.report.allure_sink import JSON, TEXT, AllureSink
from rig.report.categories import INFRASTRUCTURE, write_categories
from rig.report.environment import environment, write_environment
from rig.report.record import RECORD_NAME, RunRecord
from rig.report.scenario_report import labels, write_scenario


class ReportWarning(UserWarning):
    """The Allure report of a scenario could not be completed (the verdict stands)."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call" and isinstance(item, ScenarioItem):
        _report_scenario(item, call)
    return report


def _report_scenario(item: ScenarioItem, call: pytest.CallInfo) -> None:
    try:
        sink = AllureSink.current(item.config)
        if sink is None:
            return
        result = item.stash.get(RESULT_KEY, None)
        markers = {m.name for m in item.iter_markers()}
        if result is None:
            _no_result(sink, item, call, markers)
        else:
            write_scenario(sink, result, time.time(), markers)
    except Exception as e:  # the report must never turn into the scenario's verdict
        text = "".join(traceback.format_exception(e))
        warnings.warn(ReportWarning(f"{item.nodeid}: the Allure report of this scenario is "
                                    f"incomplete: {type(e).__name__}: {e}"), stacklevel=1)
        try:
            sink = AllureSink.current(item.config)
            if sink is not None:
                sink.attach(text, "report error (rig/report)", TEXT)
        except Exception:  # already warned above with the original error
            pass


def _no_result(sink: AllureSink, item: ScenarioItem, call: pytest.CallInfo,
               markers: set[str]) -> None:
    """The item raised before it had a RunResult (the runner itself failed to start)."""
    sc = item.scenario
    why = call.excinfo.exconly() if call.excinfo else "no result and no exception"
    seed = run_seed(item.config)
    src = str(sc.source) if sc.source else sc.name
    record = RunRecord(scenario=sc.name, scenario_id=sc.id, scenario_file=src, run_seed=seed,
                       seed=0, outcome="error", replay=f"rig replay {seed} {src}",
                       message=why, profile=sc.settings.profile, tags=list(sc.tags),
                       oracle_error="the scenario never ran")
    labels(sink, record, markers)
    sink.attach(json.dumps(record.to_json(), indent=1), RECORD_NAME, JSON)
    sink.status(INFRASTRUCTURE.status, f"{INFRASTRUCTURE.marker} {why}")


def _results_labels(results_dir: Path, name: str) -> set[str]:
    values: set[str] = set()
    for path in results_dir.glob("*-result.json"):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        values |= {lb["value"] for lb in doc.get("labels", [])
                   if isinstance(lb, dict) and lb.get("name") == name and lb.get("value")}
    return values


def pytest_unconfigure(config: pytest.Config) -> None:
    report_dir = getattr(config.option, "allure_report_dir", None)
    if not report_dir or hasattr(config, "workerinput"):
        return
    results = Path(report_dir).resolve()
    profiles = _results_labels(results, "rig.profile")
    option = config.getoption("--profile", None)
    if option:
        profiles.add(option)
    seeds = {int(s) for s in _results_labels(results, "rig.run_seed") if s.isdigit()}
    with contextlib.suppress(KeyError):
        seeds.add(run_seed(config))
    try:
        write_environment(results, environment(
            profiles, seeds, config.getoption("--chain-url", None),
            config.getoption("--defect", None) or ()))
        write_categories(results)
    except OSError as e:  # the terminal reporter is gone by now: stderr is what is left
        print(f"rig report: could not write environment.properties / categories.json into "
              f"{results}: {e}", file=sys.stderr)
