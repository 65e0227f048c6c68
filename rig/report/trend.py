"""History between runs, for QA: each scenario's recent outcomes, flaky scenarios, and
Allure's own history and trend carried from one report to the next.

A run's results directory is emptied when the next run starts (``--clean-alluredir``), so
what the runs before it did is kept next to it, in the report directory:

- ``scenario-history.json``: each scenario's last ``KEEP`` outcomes (one entry per Allure
  result, keyed by its uuid, so rendering the same results again adds nothing);
- ``allure-report/history/``: Allure's ``history/`` as the last render left it, copied into
  the results' ``history/`` before the next render so the report's trend shows the last
  runs (``history-base/``: what that render was given, reused when the same results are
  rendered again so the trend does not count them twice).

A scenario is **flaky** when its recent outcomes hold both a pass and a verdict against the
firmware (violated, failed, inconclusive); rig errors say nothing about the firmware and
count as neither. Flaky results get Allure's ``flaky`` flag, their run record says so (the
terminal summary prints it) and their description lists the recent outcomes.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.report.errors import ReportError
from rig.report.record import RECORD_NAME

HISTORY_FILE = "scenario-history.json"
ALLURE_DIR = "allure-report"
KEEP = 10
GREEN = ("passed",)
RED = ("violated", "failed", "inconclusive")
LETTER = {"passed": "P", "violated": "V", "failed": "F", "inconclusive": "I", "error": "E"}


def is_flaky(outcomes: list[str]) -> bool:
    return any(o in GREEN for o in outcomes) and any(o in RED for o in outcomes)


def letters(outcomes: list[str]) -> str:
    """``PPVP``: outcomes oldest first, one letter each (the summary's ``recent`` column)."""
    return "".join(LETTER.get(o, "?") for o in outcomes)


@dataclass
class Trend:
    """The scenario history of one report directory."""

    report_dir: Path
    scenarios: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.report_dir / HISTORY_FILE

    @property
    def allure_history(self) -> Path:
        """Where Allure's history of the latest render is kept."""
        return self.report_dir / ALLURE_DIR / "history"

    @classmethod
    def load(cls, report_dir: Path) -> Trend:
        trend = cls(Path(report_dir))
        try:
            doc = json.loads(trend.path.read_text())
        except FileNotFoundError:
            return trend
        except (OSError, json.JSONDecodeError) as e:
            raise ReportError(f"{trend.path}: unreadable scenario history ({e}); delete it to "
                             f"start a new one") from e
        raw = doc.get("scenarios") if isinstance(doc, dict) else None
        if isinstance(raw, dict):
            trend.scenarios = {k: [e for e in v if isinstance(e, dict)]
                               for k, v in raw.items() if isinstance(v, list)}
        return trend

    def save(self) -> None:
        self.report_dir.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"keep": KEEP, "scenarios": self.scenarios},
                                        indent=1, sort_keys=True) + "\n")

    def add(self, key: str, uuid: str, outcome: str, stop: int, run_seed: int | None) -> None:
        runs = [e for e in self.scenarios.get(key, []) if e.get("uuid") != uuid]
        runs.append({"uuid": uuid, "outcome": outcome, "stop": stop, "run_seed": run_seed})
        runs.sort(key=lambda e: int(e.get("stop") or 0))
        self.scenarios[key] = runs[-KEEP:]

    def recent(self, key: str) -> list[str]:
        return [str(e.get("outcome")) for e in self.scenarios.get(key, [])]


def _results(results: Path) -> list[tuple[Path, dict, Path]]:
    """(result file, its JSON, its run record file) of every scenario result."""
    out = []
    for path in sorted(results.glob("*-result.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue                    # the summary reports unreadable results
        for att in doc.get("attachments") or []:
            if isinstance(att, dict) and att.get("name") == RECORD_NAME and att.get("source"):
                out.append((path, doc, results / att["source"]))
                break
    return out


def _fingerprint(results: Path) -> str:
    names = sorted(p.name for p in results.glob("*-result.json"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def _feed_allure_history(results: Path, trend: Trend) -> None:
    """Copy the previous render's Allure history into ``results/history``."""
    base_dir = trend.report_dir / ALLURE_DIR
    marker = base_dir / "rendered-results.sha256"
    base = base_dir / "history-base"
    fingerprint = _fingerprint(results)
    again = marker.is_file() and marker.read_text().strip() == fingerprint
    if not again:                       # new results: the last render's output is the base
        shutil.rmtree(base, ignore_errors=True)
        if trend.allure_history.is_dir():
            shutil.copytree(trend.allure_history, base)
    target = results / "history"
    shutil.rmtree(target, ignore_errors=True)
    if base.is_dir():
        shutil.copytree(base, target)
    base_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint + "\n")


def _recent_html(outcomes: list[str], flaky: bool) -> str:
    shown = ", ".join(outcomes) or "none"
    word = " <b>flaky</b>: both passes and failures" if flaky else ""
    return (f"<h4>Recent outcomes</h4><p>last {len(outcomes)} run(s), oldest first: "
            f"{html.escape(shown)}{word}</p>")


def keep_history(results: Path, report_dir: Path) -> Trend:
    """Add this run's results to the report directory's history, mark flaky scenarios in
    their results and run records, and feed Allure its previous history; call before
    rendering. Returns the updated history."""
    results, report_dir = Path(results), Path(report_dir)
    trend = Trend.load(report_dir)
    found = _results(results)
    for _, doc, record_path in found:
        try:
            record = json.loads(record_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        trend.add(_key(record), str(doc.get("uuid")), str(record.get("outcome")),
                  int(doc.get("stop") or 0), record.get("run_seed"))
    trend.save()
    for path, doc, record_path in found:
        try:
            record = json.loads(record_path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        recent = trend.recent(_key(record))
        flaky = is_flaky(recent)
        record["recent"], record["flaky"] = recent, flaky
        record_path.write_text(json.dumps(record, indent=1))
        if flaky:
            doc["statusDetails"] = (doc.get("statusDetails") or {}) | {"flaky": True}
        marker = "<h4>Recent outcomes</h4>"
        desc = str(doc.get("descriptionHtml") or "").split(marker, 1)[0]
        doc["descriptionHtml"] = desc + _recent_html(recent, flaky)
        path.write_text(json.dumps(doc))
    _feed_allure_history(results, trend)
    return trend


def _key(record: dict) -> str:
    """A scenario across runs: its file (relative when it can be) and its id."""
    from rig.report.scenario_report import display_path

    return f"{display_path(str(record.get('scenario_file', '')))}::{record.get('scenario_id')}"
