"""Check every registered invariant against one History and assemble the report."""

from __future__ import annotations

import importlib
import pkgutil
import shlex
from pathlib import Path

from rig.history import History
from rig.oracle.context import around
from rig.oracle.facts import Facts
from rig.oracle.operations import operations
from rig.oracle.registry import Finding, Invariant, Outcome, Result, invariants
from rig.oracle.report import OracleReport, Verdict, Violation


def _load() -> None:
    """Import every ``inv*`` module so each registers itself."""
    package = __name__.rpartition(".")[0]
    for m in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if m.name.startswith("inv"):
            importlib.import_module(f"{package}.{m.name}")


def default_replay(h: History) -> str:
    return f"pytest --rig-seed {h.seed} -k {shlex.quote(h.scenario)}"


def _verdict(inv: Invariant, result: Result, h: History, replay: str) -> Verdict:
    errors = [Violation(inv.id, inv.name, h.channel_id, f.outcome, f.message, f.severity, f.at,
                        f.evidence, around(h.timeline, f.at), h.seed, replay)
              for f in result.findings]
    outcomes = {e.outcome for e in errors}
    outcome: Outcome = "fail" if "fail" in outcomes else "info" if outcomes else "ok"
    decisive = [e for e in errors if e.outcome == outcome]
    if outcome == "ok":
        summary = f"held: {result.checked}"
    else:
        more = f" (+{len(decisive) - 1} more)" if len(decisive) > 1 else ""
        summary = ("" if outcome == "fail" else "undecided: ") + decisive[0].message + more
    return Verdict(inv.id, inv.name, outcome, summary, errors)


def _checked(inv: Invariant, facts: Facts) -> Result:
    """The invariant's result; undecided, with the reason, when ground truth it reads is
    unknown (a part the rig cannot read): never decided from what is missing."""
    unknown = {k: why for k, why in facts.history.unknown.items() if k in inv.reads}
    if not unknown:
        return inv.check(facts)
    return Result([Finding("info", f"{what} unknown: {why}") for what, why in unknown.items()],
                  "nothing: its ground truth is unknown")


def _t0(h: History) -> float:
    moments = ([e.at for e in h.timeline] + [m.at for m in h.marks]
               + [s.signed_at for s in h.signed] + [d.started_at for d in h.dispensed])
    return min(moments, default=0.0)


def check(history: History, replay: str = "") -> OracleReport:
    """Every invariant of protocol/invariants.md over ``history``; ``replay`` is the command
    that reproduces the run (default: the pytest seed option and the scenario name).

    Raises ``HistoryError`` when the history cannot be checked (never a silent ok)."""
    _load()
    facts = Facts.of(history)
    replay = replay or default_replay(history)
    verdicts = [_verdict(inv, _checked(inv, facts), history, replay) for inv in invariants()]
    return OracleReport(history.scenario, history.seed, history.channel_id, replay,
                        facts.ledger, verdicts,
                        [op.to_json() for op in operations(history)], _t0(history))
