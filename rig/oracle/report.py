"""What the oracle hands back: per-invariant verdicts with evidence, Jepsen style.

Each verdict is ``ok``, ``fail`` or ``info`` (undecided: a fault left the premise unknown)
and reports its errors with count, first, worst and last. A violation carries everything an
auditor needs to judge it alone: the invariant, the channel, the evidence as plain dicts, the
fault timeline around it, the seed and the command that replays it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rig.oracle.ledger import Ledger
from rig.oracle.registry import Outcome


@dataclass(frozen=True)
class Violation:
    invariant: str                # "INV-2"
    name: str                     # "no lost receipt"
    channel: str
    outcome: str                  # fail | info
    message: str
    severity: float
    at: float | None              # host wall clock of the moment it is about
    evidence: dict[str, list[dict]]
    timeline: list[dict]          # the fault timeline around ``at``
    seed: int
    replay: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    id: str
    name: str
    outcome: Outcome
    summary: str
    errors: list[Violation] = field(default_factory=list)

    @property
    def _decisive(self) -> list[Violation]:
        """The errors behind the outcome (the fails of a fail, the infos of an info)."""
        return [e for e in self.errors if e.outcome == self.outcome]

    @property
    def count(self) -> int:
        return len(self._decisive)

    @property
    def first(self) -> Violation | None:
        return next(iter(self._decisive), None)

    @property
    def last(self) -> Violation | None:
        return self._decisive[-1] if self._decisive else None

    @property
    def worst(self) -> Violation | None:
        errors = self._decisive
        return max(errors, key=lambda e: e.severity) if errors else None

    def to_json(self) -> dict:
        def one(v: Violation | None) -> dict | None:
            return v.to_json() if v else None

        return {"id": self.id, "name": self.name, "outcome": self.outcome,
                "summary": self.summary, "count": self.count, "first": one(self.first),
                "worst": one(self.worst), "last": one(self.last),
                "errors": [e.to_json() for e in self.errors]}


@dataclass
class OracleReport:
    scenario: str
    seed: int
    channel: str
    replay: str
    ledger: Ledger
    verdicts: list[Verdict]
    operations: list[dict] = field(default_factory=list)
    t0: float = 0.0               # wall-clock origin for relative times in the text form

    @property
    def ok(self) -> bool:
        """No invariant failed (info verdicts are accepted: Jepsen's unknown)."""
        return all(v.outcome != "fail" for v in self.verdicts)

    @property
    def outcome(self) -> Outcome:
        outcomes = {v.outcome for v in self.verdicts}
        return "fail" if "fail" in outcomes else "info" if "info" in outcomes else "ok"

    def verdict(self, id_: str) -> Verdict:
        for v in self.verdicts:
            if v.id == id_:
                return v
        raise KeyError(f"no verdict {id_!r}; the report has "
                       f"{', '.join(v.id for v in self.verdicts)}")

    def summary(self) -> str:
        """One line per failing invariant (or per undecided one when none fails)."""
        worst = self.outcome
        if worst == "ok":
            return "every invariant held"
        return "; ".join(f"{v.id} {v.name}: {v.summary}" for v in self.verdicts
                         if v.outcome == worst)

    def violations(self) -> list[Violation]:
        return [e for v in self.verdicts for e in v.errors if e.outcome == "fail"]

    def to_json(self) -> dict:
        return {"scenario": self.scenario, "seed": self.seed, "channel": self.channel,
                "replay": self.replay, "ok": self.ok, "outcome": self.outcome,
                "ledger": self.ledger.to_json(),
                "verdicts": [v.to_json() for v in self.verdicts],
                "operations": self.operations}

    def render_text(self) -> str:
        from rig.oracle.render import render_text

        return render_text(self)
