"""Scenario files collected by pytest as test items: ``.yaml`` files in a ``scenarios``
directory, and any ``.yaml`` file named on the command line wherever it is (a failure's
schedule in ``build/property-failures/``, a scratch file in /tmp).

Each item runs the scenario on its own fresh chain and machine with a seed derived from
the run's seed and the scenario's id, so ``--rig-seed`` replays the whole suite. An
infrastructure error is retried once; a verdict (violated, failed, inconclusive) never is.
``--rig-reruns N`` re-runs a failed scenario N times from the same seed to classify it
reproducible or intermittent; the item's outcome stays the first run's.

Before anything runs (``pytest_sessionstart``) a given ``--profile`` must load and a given
``--chain-url`` must answer eth_chainId: one usage error instead of every item failing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rig.chain.share import NodeShare
from rig.preflight import ConfigError, check_chain, check_profile
from rig.pytestplugin.seed import run_seed
from rig.scenario import Scenario, ScenarioError, load_scenario
from rig.scenario.verdict import FAILING, classify, signature

if TYPE_CHECKING:
    from rig.scenario.runner import RunOptions, RunResult

RESULT_KEY = pytest.StashKey["RunResult"]()
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


def pytest_sessionstart(session: pytest.Session) -> None:
    """The profile and the chain are checked once, not by every scenario in turn."""
    cfg = session.config
    if hasattr(cfg, "workerinput"):          # the xdist controller checked already
        return
    try:
        if cfg.getoption("--profile"):
            check_profile(cfg.getoption("--profile"))
        if cfg.getoption("--chain-url"):
            check_chain(cfg.getoption("--chain-url"))
        if cfg.getoption("--rig-reruns") < 0:
            raise ConfigError("--rig-reruns must be 0 or more")
    except ConfigError as e:
        raise pytest.UsageError(str(e)) from e


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Exit 1 on a verdict (violated, failed, inconclusive), 2 when only the rig failed."""
    outcomes = session.config.stash.get(OUTCOMES, {})
    if any(outcomes.get(o) for o in FAILING):
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


class ScenarioInconclusive(Exception):
    """No invariant failed, but what the scenario exists to prove was left undecided."""


class RigInfrastructureError(Exception):
    """The rig itself failed (twice): not a verdict about the firmware."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kw: Any):
        super().__init__(**kw)
        self.scenario = scenario
        for tag in scenario.tags:  # selectable with -k, without registering markers
            self.keywords[tag] = True
        self._scale_timeout()

    def _scale_timeout(self) -> None:
        """Re-runs happen inside the item: pytest-timeout's per-item limit grows with them."""
        reruns = self.config.getoption("--rig-reruns", 0) or 0
        if reruns <= 0 or not self.config.pluginmanager.hasplugin("timeout"):
            return
        base = self.config.getoption("timeout", None)
        if base is None:
            try:
                base = float(self.config.getini("timeout") or 0)
            except (ValueError, TypeError):
                base = 0.0
        if base and base > 0:
            self.add_marker(pytest.mark.timeout(base * (reruns + 2)))   # + the one retry

    def setup(self) -> None:
        """On a profile whose parts, or an attached node that, lack a capability the
        scenario's steps or faults declare, skip with it named: never run, fail and retry."""
        from rig.hardware import load_profile
        from rig.pytestplugin.chain import attached_chain, missing_for, skip_reason
        from rig.scenario.needs import hardware_lacking, scenario_needs

        profile = load_profile(self.config.getoption("--profile")
                               or self.scenario.settings.profile)
        lacking = hardware_lacking(self.scenario, profile)
        if lacking:
            pytest.skip(lacking)
        chain = attached_chain(self.config)
        lacks = missing_for(chain, set(scenario_needs(self.scenario)))
        if chain is not None and lacks:
            pytest.skip(skip_reason(chain, lacks))

    def runtest(self) -> None:
        from rig.scenario.runner import RunOptions, run_scenario  # heavy: only when run

        cfg = self.config
        opts = RunOptions(run_seed=run_seed(cfg), profile=cfg.getoption("--profile"),
                          defects=tuple(cfg.getoption("--defect") or ()),
                          chain_url=cfg.getoption("--chain-url"),
                          share=NodeShare.of_xdist_worker(getattr(cfg, "workerinput", None)))
        result = attempt(self.scenario, opts, cfg.getoption("--rig-reruns", 0) or 0,
                         run_scenario)
        self.stash[RESULT_KEY] = result
        outcomes = cfg.stash.setdefault(OUTCOMES, {})
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        self.user_properties.append(("seed", result.seed))
        self.user_properties.append(("replay", result.replay))
        if result.reproduction is not None:
            self.user_properties.append(("reproduction", result.reproduction.describe()))
        if result.outcome == "error":
            raise RigInfrastructureError(result.message)
        if result.outcome == "inconclusive":
            raise ScenarioInconclusive(result.message)
        if result.outcome in ("violated", "failed"):
            raise ScenarioViolation(result.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
                     ) -> str:
        result = self.stash.get(RESULT_KEY, None)
        if result is None or not isinstance(excinfo.value, ScenarioViolation |
                                            ScenarioInconclusive | RigInfrastructureError):
            return str(super().repr_failure(excinfo))
        lines = [f"scenario {self.scenario.name!r}: {result.outcome}", result.message]
        if result.reproduction is not None:
            lines.append(f"re-runs from the same seed: {result.reproduction.describe()}")
        if result.report is not None:
            lines.append(result.report.render_text())
        lines.append(f"replay: {result.replay}")
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.scenario.name}"


def attempt(sc: Scenario, opts: RunOptions, reruns: int,
            run: Callable[[Scenario, RunOptions], RunResult]) -> RunResult:
    """One scenario item: a rig error is retried once, a verdict never; a failing verdict is
    then re-run ``reruns`` times to classify it (the outcome stays the first run's). A node
    that lacks a capability lacks it the next time too: that error is not retried."""
    result = run(sc, opts)
    if result.outcome == "error" and result.missing_capability is None:
        result = run(sc, opts)
        result.message = "(retried once) " + result.message
    if result.outcome in FAILING and reruns > 0:
        rerun(result, opts, reruns, run)
    return result


def rerun(result: RunResult, opts: RunOptions, times: int,
          run: Callable[[Scenario, RunOptions], RunResult] | None = None) -> None:
    """Run a failed scenario ``times`` more from the same seed and classify it on
    ``result.reproduction``. The result (its outcome, message and report) stays the first
    run's: a re-run that passes never turns a failure into a pass."""
    if run is None:
        from rig.scenario.runner import run_scenario
        run = run_scenario

    seen = []
    for _ in range(times):
        again = run(result.scenario, opts)
        seen.append(signature(again.outcome, again.report))
        if again.workdir is not None and again.workdir != result.workdir:
            shutil.rmtree(again.workdir, ignore_errors=True)   # the first run's is reported
    result.reproduction = classify(signature(result.outcome, result.report), seen)
    result.write_record()
