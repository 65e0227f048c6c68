"""The run record: one scenario run reduced to what the summary and ``rig replay`` need.

It is attached to every scenario's Allure result as ``run record`` (JSON), so the terminal
summary can be printed from a results directory alone (also one merged from xdist workers or
other hosts), and ``rig replay <record.json>`` finds the scenario file and the run's seed.
Built from a ``RunResult`` defensively: a run that died in set-up has no history and no
oracle report, and the record says so instead of failing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rig.scenario.runner import RunResult

RECORD_NAME = "run record"
RETRIED_PREFIX = "(retried once)"


@dataclass
class RunRecord:
    scenario: str                     # the scenario's name
    scenario_id: str                  # the file's stem (the pytest item's name)
    scenario_file: str                # as given to pytest; `rig replay` reads it
    run_seed: int
    seed: int                         # the scenario's own, derived from run_seed
    outcome: str                      # passed | violated | failed | inconclusive | error
    replay: str
    duration: float = 0.0
    message: str = ""
    retried: bool = False             # the first attempt was a rig error
    profile: str = ""
    tags: list[str] = field(default_factory=list)
    faults_fired: list[str] = field(default_factory=list)    # fault kinds, in firing order
    coffees: int | None = None        # dispensed by the board; None without a history
    ledger: dict[str, int] | None = None                      # the oracle's ledger numbers
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    oracle_error: str = ""            # why there is no oracle report, when there is none
    expect: dict[str, str] = field(default_factory=dict)      # the scenario's targets
    reproduction: dict[str, Any] | None = None   # re-runs of a failure (verdict.Reproduction)
    recent: list[str] = field(default_factory=list)   # earlier runs' outcomes, oldest first
    flaky: bool = False               # recent history has both passes and verdict failures

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict, where: str = "run record") -> RunRecord:
        if not isinstance(doc, dict):
            raise ValueError(f"{where}: a run record is a JSON object, got "
                             f"{type(doc).__name__}")
        known = {f.name for f in fields(cls)}
        missing = [n for n in ("scenario", "scenario_id", "scenario_file", "run_seed", "seed",
                               "outcome", "replay") if n not in doc]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        return cls(**{k: v for k, v in doc.items() if k in known})

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: not a readable run record: {e}") from e
        return cls.from_json(doc, str(path))

    # ------------------------------------------------------------------ derived
    @property
    def failing(self) -> bool:
        return self.outcome != "passed"

    @property
    def reproducibility(self) -> str:
        """``reproducible: 3 of 3 re-runs violated (INV-2)``, or "" when not re-run."""
        return str((self.reproduction or {}).get("text") or "")

    def ledger_value(self, key: str) -> int | None:
        return None if self.ledger is None else self.ledger.get(key)


def oracle_json(result: RunResult) -> tuple[dict | None, str]:
    """The oracle report as JSON, or None and why (no report, or it cannot serialise)."""
    report = result.report
    if report is None:
        return None, "no oracle report: the run ended before the oracle (see the message)"
    try:
        doc = report.to_json()
    except Exception as e:  # a report that cannot serialise must not hide the run's verdict
        return None, f"the oracle report could not be serialised: {type(e).__name__}: {e}"
    if not isinstance(doc, dict):
        return None, f"the oracle report's to_json() returned {type(doc).__name__}, not a dict"
    return doc, ""


def _verdicts(doc: dict | None) -> list[dict[str, Any]]:
    raw = (doc or {}).get("verdicts") or []
    out = []
    for v in raw if isinstance(raw, list) else []:
        if isinstance(v, dict):
            out.append({k: v.get(k) for k in ("id", "name", "outcome", "summary", "count")})
    return out


def _ledger(doc: dict | None) -> dict[str, int] | None:
    raw = (doc or {}).get("ledger")
    if not isinstance(raw, dict):
        return None
    return {k: v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)}


def scenario_file(result: RunResult) -> str:
    src = result.scenario.source
    return str(src) if src is not None else result.scenario.name


def profile_of(result: RunResult) -> str:
    """The profile the run used: the history's (what was built), else the scenario's."""
    h = result.history
    if h is not None and isinstance(h.settings.get("profile"), str):
        return h.settings["profile"]
    return result.scenario.settings.profile


def record_of(result: RunResult) -> RunRecord:
    doc, why = oracle_json(result)
    h = result.history
    fired = [e.kind for e in h.timeline if e.action == "fire"] if h is not None else []
    return RunRecord(
        scenario=result.scenario.name, scenario_id=result.scenario.id,
        scenario_file=scenario_file(result), run_seed=result.run_seed, seed=result.seed,
        outcome=result.outcome, replay=result.replay, duration=round(result.duration, 3),
        message=result.message, retried=result.message.startswith(RETRIED_PREFIX),
        profile=profile_of(result), tags=list(result.scenario.tags), faults_fired=fired,
        coffees=len(h.dispensed) if h is not None else None, ledger=_ledger(doc),
        verdicts=_verdicts(doc), oracle_error=why, expect=dict(result.scenario.expect),
        reproduction=result.reproduction.to_json() if result.reproduction else None)
