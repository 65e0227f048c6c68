"""Scenario files collected by pytest as test items: ``.yaml`` files in a ``scenarios``
directory, and any ``.yaml`` file named on the command line wherever it is (a failure's
schedule in ``build/property-failures/``, a scratch file in /tmp).

Each item runs the scenario on its own fresh chain and machine with a seed derived from
the run's seed and the scenario's id, so ``--rig-seed`` replays the whole suite. An
infrastructure error is retried once; an invariant violation never is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rig.pytestplugin.seed import run_seed
from rig.scenario import Scenario, ScenarioError, load_scenario

RESULT_KEY = pytest.StashKey[object]()
OUTCOMES = pytest.StashKey[dict]()
NAMED = pytest.StashKey[frozenset[Path]]()
SUFFIXES = (".yaml", ".yml")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in SUFFIXES and (file_path.parent.name == "scenarios"
                                         or file_path.resolve() in named_files(parent.config)):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def named_files(config: pytest.Config) -> frozenset[Path]:
    """The files the command line names (``path`` or ``path::item``), resolved."""
    named = config.stash.get(NAMED, None)
    if named is None:
        base = config.invocation_params.dir
        named = frozenset((base / arg.split("::", 1)[0]).resolve() for arg in config.args)
        config.stash[NAMED] = named
    return named


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Exit 1 when an invariant was violated, 2 when only the rig itself failed."""
    outcomes = session.config.stash.get(OUTCOMES, {})
    if outcomes.get("violated") or outcomes.get("failed"):
        session.exitstatus = 1
    elif outcomes.get("error"):
        session.exitstatus = 2


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            sc = load_scenario(self.path)
        except ScenarioError as e:
            raise self.CollectError(str(e)) from e
        yield ScenarioItem.from_parent(self, name=sc.id, scenario=sc)


class ScenarioViolation(Exception):
    """An invariant was violated (or a scenario expectation failed)."""


class RigInfrastructureError(Exception):
    """The rig itself failed (twice): not a verdict about the firmware."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kw: Any):
        super().__init__(**kw)
        self.scenario = scenario
        for tag in scenario.tags:  # selectable with -k, without registering markers
            self.keywords[tag] = True

    def runtest(self) -> None:
        from rig.scenario.runner import RunOptions, run_scenario  # heavy: only when run

        cfg = self.config
        opts = RunOptions(run_seed=run_seed(cfg), profile=cfg.getoption("--profile"),
                          defects=tuple(cfg.getoption("--defect") or ()),
                          chain_url=cfg.getoption("--chain-url"))
        result = run_scenario(self.scenario, opts)
        if result.outcome == "error":
            result = run_scenario(self.scenario, opts)
            result.message = "(retried once) " + result.message
        self.stash[RESULT_KEY] = result
        outcomes = cfg.stash.setdefault(OUTCOMES, {})
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        self.user_properties.append(("seed", result.seed))
        self.user_properties.append(("replay", result.replay))
        if result.outcome == "error":
            raise RigInfrastructureError(result.message)
        if result.outcome in ("violated", "failed"):
            raise ScenarioViolation(result.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
                     ) -> str:
        result = self.stash.get(RESULT_KEY, None)
        if result is None or not isinstance(excinfo.value, ScenarioViolation |
                                            RigInfrastructureError):
            return str(super().repr_failure(excinfo))
        lines = [f"scenario {self.scenario.name!r}: {result.outcome}", result.message]
        if result.report is not None:
            lines.append(result.report.render_text())
        lines.append(f"replay: {result.replay}")
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.scenario.name}"
