"""A scenario run's outcome, decided from the oracle's report, the steps and the scenario's
expectations; and what re-running a failure from the same seed says about it.

Pure functions, so the rules are tested without a machine.

Outcomes, strongest first:

- ``violated``: an invariant failed. It wins over everything: a broken invariant is a
  finding whatever else happened.
- ``failed``: a step's own expectation did not hold. It wins over ``inconclusive``: the
  failed step is an observation about the firmware, while an undecided target after it is
  usually its consequence (the steps after a failed one are skipped); the message names
  the undecided targets too.
- ``inconclusive``: no invariant failed, but the rig could not establish what the scenario
  exists to prove: an expected invariant came out ``info`` (undecided), or the oracle
  decided no invariant at all (every verdict ``info``), whatever the expectation.
- ``passed``: none of the above.

``error`` (the rig broke mid-run) is decided by the runner, not here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rig.oracle import OracleReport

OUTCOMES = ("passed", "violated", "failed", "inconclusive", "error")
FAILING = ("violated", "failed", "inconclusive")    # verdicts about the firmware: no retry
INCONCLUSIVE_PREFIX = "inconclusive: the rig could not establish what this scenario tests: "
NOTHING_DECIDED = "the oracle decided no invariant (every verdict info)"


@dataclass(frozen=True)
class Decision:
    outcome: str
    message: str


def undecided(report: OracleReport, expect: Mapping[str, str]) -> list[str]:
    """Why the run cannot count as a pass although no invariant failed (empty: it can)."""
    reasons = []
    ids = {v.id for v in report.verdicts}
    for id_ in expect:
        if id_ not in ids:
            reasons.append(f"{id_} was not checked by the oracle")
            continue
        v = report.verdict(id_)
        if v.outcome == "info":
            reasons.append(f"{id_} undecided: {v.summary.removeprefix('undecided: ')}")
    if all(v.outcome == "info" for v in report.verdicts):
        reasons.append(NOTHING_DECIDED)
    return reasons


def decide(report: OracleReport, step_failure: str = "",
           expect: Mapping[str, str] | None = None) -> Decision:
    """The outcome of a run the oracle checked (module docstring: the order)."""
    if not report.ok:
        return Decision("violated", "\n".join(x for x in (report.summary(), step_failure) if x))
    reasons = undecided(report, expect or {})
    inconclusive = INCONCLUSIVE_PREFIX + "; ".join(reasons) if reasons else ""
    if step_failure:
        return Decision("failed", "\n".join(x for x in (step_failure, inconclusive) if x))
    if inconclusive:
        return Decision("inconclusive", inconclusive)
    return Decision("passed", "")


def signature(outcome: str, report: OracleReport | None) -> str:
    """How a run failed, for comparing re-runs: the outcome and, for a violation, which
    invariants broke (the same outcome by another invariant is not the same failure)."""
    if outcome != "violated" or report is None:
        return outcome
    failed = sorted(v.id for v in report.verdicts if v.outcome == "fail")
    return f"violated ({', '.join(failed)})"


@dataclass(frozen=True)
class Reproduction:
    """What re-running a failed scenario from the same seed showed."""

    first: str                    # the first run's signature
    reruns: tuple[str, ...]       # each re-run's signature, in order

    @property
    def valid(self) -> list[str]:
        """Re-runs that reached a verdict (a rig error says nothing about the firmware)."""
        return [r for r in self.reruns if r != "error"]

    @property
    def same(self) -> int:
        return sum(r == self.first for r in self.valid)

    @property
    def kind(self) -> str:
        """reproducible | intermittent | unconfirmed (no re-run reached a verdict)."""
        if not self.valid:
            return "unconfirmed"
        return "reproducible" if self.same == len(self.valid) else "intermittent"

    def describe(self) -> str:
        errors = len(self.reruns) - len(self.valid)
        tail = f"; {errors} re-run(s) hit a rig error" if errors else ""
        if not self.valid:
            return f"unconfirmed: none of {len(self.reruns)} re-run(s) reached a verdict{tail}"
        text = f"{self.kind}: {self.same} of {len(self.valid)} re-runs {self.first}"
        others = Counter(r for r in self.valid if r != self.first)
        if others:
            text += "; the others " + ", ".join(f"{n} {o}" for o, n in sorted(others.items()))
        return text + tail

    def to_json(self) -> dict:
        return {"kind": self.kind, "first": self.first, "reruns": list(self.reruns),
                "same": self.same, "text": self.describe()}


def classify(first: str, reruns: Sequence[str]) -> Reproduction:
    """Classify a failure by its re-runs: reproducible when every re-run that reached a
    verdict failed the same way, intermittent otherwise."""
    return Reproduction(first, tuple(reruns))
