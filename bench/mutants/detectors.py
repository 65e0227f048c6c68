"""Run one check (a scenario or a pytest selection) with one defect switched on, or none.

A scenario runs in this process through ``rig.scenario.runner.run_scenario`` (a fresh anvil,
the firmware as its own process); a pytest selection runs as a subprocess, so the contract
and phone switches travel in its environment. A run that ends in a rig infrastructure error
is retried once, as the scenario runner allows; a verdict is never retried.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.mutants.catalog import ROOT, Check, Defect, PytestCheck, ScenarioCheck
from emulators.phone.defects import ENV as PHONE_ENV
from emulators.phone.defects import enabled as phone_defects
from rig.pytestplugin.chain import CONTRACT_MUTANT_ENV
from rig.scenario import load_scenario
from rig.scenario.runner import RunOptions, run_scenario

PYTEST_TIMEOUT = 900.0


@dataclass
class CheckRun:
    """One run of one check. ``fired`` is True when the check reported a problem: for a
    defect run that is a catch, for a baseline run a false alarm."""

    check: str
    defect: str | None
    fired: bool
    outcome: str                              # scenario outcome | pytest passed/failed/error
    evidence: list[str] = field(default_factory=list)   # failed invariants or tests
    seconds: float = 0.0
    detail: str = ""
    workdir: str | None = None

    @property
    def clean(self) -> bool:
        """For a baseline run: the check passed outright."""
        return self.outcome == "passed"


def run_check(check: Check, defect: Defect | None, seed: int, scratch: Path) -> CheckRun:
    """Run ``check`` with ``defect`` on (None: the correct build); once more on an error."""
    run = _attempt(check, defect, seed, scratch)
    return _attempt(check, defect, seed, scratch) if run.outcome == "error" else run


def _attempt(check: Check, defect: Defect | None, seed: int, scratch: Path) -> CheckRun:
    started = time.monotonic()
    try:
        if isinstance(check, ScenarioCheck):
            return _scenario(check, defect, seed, scratch)
        return _pytest(check, defect, scratch)
    except Exception as e:  # the bench's own failure: recorded, never counted as a catch
        return CheckRun(check.label, defect.name if defect else None, False, "error", [],
                        round(time.monotonic() - started, 1),
                        f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}")


@contextlib.contextmanager
def _phone_switch(defect: Defect | None) -> Iterator[None]:
    if defect is not None and defect.layer == "phone":
        with phone_defects(defect.name):
            yield
    else:
        with phone_defects():
            yield


def _scenario(check: ScenarioCheck, defect: Defect | None, seed: int,
              scratch: Path) -> CheckRun:
    sc = load_scenario(check.path)
    workdir = Path(tempfile.mkdtemp(prefix=f"{check.scenario}-", dir=scratch))
    firmware = (defect.name,) if defect is not None and defect.layer == "firmware" else ()
    started = time.monotonic()
    with _phone_switch(defect):
        result = run_scenario(sc, RunOptions(run_seed=seed, defects=firmware, workdir=workdir))
    seconds = time.monotonic() - started
    failed = sorted(v.id for v in result.report.verdicts if v.outcome == "fail") \
        if result.report is not None else []
    if defect is None:
        fired = result.outcome != "passed"
    else:
        fired = result.outcome == "violated" and bool(set(failed) & check.invariants)
    expected = (defect is not None and fired) or (defect is None and not fired)
    if expected:
        shutil.rmtree(workdir, ignore_errors=True)
    return CheckRun(check.label, defect.name if defect else None, fired, result.outcome,
                    failed, round(seconds, 1), _first_lines(result.message),
                    None if expected else str(workdir))


def _pytest(check: PytestCheck, defect: Defect | None, scratch: Path) -> CheckRun:
    env = {k: v for k, v in os.environ.items() if k not in (PHONE_ENV, CONTRACT_MUTANT_ENV)}
    if defect is not None:
        env[{"phone": PHONE_ENV, "contract": CONTRACT_MUTANT_ENV}[defect.layer]] = defect.name
    xml = Path(tempfile.mkstemp(prefix="pytest-", suffix=".xml", dir=scratch)[1])
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
           f"--junitxml={xml}", *check.paths]
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=PYTEST_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as e:
        return CheckRun(check.label, defect.name if defect else None, False, "error", [],
                        round(time.monotonic() - started, 1),
                        f"pytest did not finish within {PYTEST_TIMEOUT:.0f}s: {e}")
    seconds = round(time.monotonic() - started, 1)
    failures, errors = _junit(xml)
    xml.unlink(missing_ok=True)
    if proc.returncode == 0:
        outcome = "passed"
    elif proc.returncode == 1 and failures:
        outcome = "failed"
    else:                      # collection/usage/internal errors, or only setup errors
        outcome = "error"
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-12:]
    return CheckRun(check.label, defect.name if defect else None, outcome != "passed"
                    if defect is None else outcome == "failed", outcome, failures or errors,
                    seconds, "\n".join(tail) if outcome != "passed" else "")


def _junit(path: Path) -> tuple[list[str], list[str]]:
    """Failed and errored test ids from a junit XML report (empty when it is unreadable)."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return [], []
    failures, errors = [], []
    for case in root.iter("testcase"):
        test_id = _node_id(case.get("classname", ""), case.get("name", "?"))
        if case.find("failure") is not None:
            failures.append(test_id)
        elif case.find("error") is not None:
            errors.append(test_id)
    return failures, errors


def _node_id(classname: str, name: str) -> str:
    """pytest's node id (``path.py::Class::test``) from junit's dotted classname."""
    parts = classname.split(".") if classname else []
    for i in range(len(parts), 0, -1):
        path = "/".join(parts[:i]) + ".py"
        if (ROOT / path).is_file():
            return "::".join([path, *parts[i:], name])
    return "::".join([*parts, name])


def _first_lines(message: str, lines: int = 6) -> str:
    return "\n".join(message.strip().splitlines()[:lines])[:1500]
