"""What a mutant run found: per defect caught or not, by what, how fast; the detection score;
the correct build's runs of the same checks (false alarms); the JSON file and the table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench.mutants.catalog import Defect
from bench.mutants.detectors import CheckRun

SCHEMA = "coffeepay-mutants/1"


@dataclass
class DefectResult:
    defect: Defect
    runs: list[CheckRun] = field(default_factory=list)

    @property
    def catches(self) -> list[CheckRun]:
        return [r for r in self.runs if r.fired]

    @property
    def caught(self) -> bool:
        return bool(self.catches)

    @property
    def first(self) -> CheckRun | None:
        """The fastest catch: what the table reports."""
        return min(self.catches, key=lambda r: r.seconds, default=None)

    def to_json(self) -> dict[str, Any]:
        d, first = self.defect, self.first
        return {"name": d.name, "layer": d.layer, "where": d.where, "summary": d.summary,
                "caught": self.caught, "caught_by": first.check if first else None,
                "evidence": first.evidence if first else [],
                "seconds": first.seconds if first else None,
                "runs": [asdict(r) for r in self.runs]}


@dataclass
class MutantReport:
    seed: int
    results: list[DefectResult]
    baseline: list[CheckRun]

    @property
    def score(self) -> float:
        return sum(r.caught for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def false_alarms(self) -> list[CheckRun]:
        return [b for b in self.baseline if not b.clean]

    @property
    def ok(self) -> bool:
        return bool(self.results) and self.score == 1.0 and not self.false_alarms

    def to_json(self, generated_at: str, command: str) -> dict[str, Any]:
        caught = sum(r.caught for r in self.results)
        return {"schema": SCHEMA, "generated_at": generated_at, "command": command,
                "seed": self.seed, "score": round(self.score, 4), "caught": caught,
                "defects": len(self.results),
                "by_layer": {layer: {"caught": sum(r.caught for r in rs), "total": len(rs)}
                             for layer in sorted({r.defect.layer for r in self.results})
                             for rs in [[r for r in self.results if r.defect.layer == layer]]},
                "false_alarms": len(self.false_alarms),
                "results": [r.to_json() for r in self.results],
                "baseline": [asdict(b) for b in self.baseline]}


def table(report: MutantReport) -> str:
    rows = [("defect", "layer", "caught by", "invariant / test", "seconds")]
    for r in report.results:
        first = r.first
        if first is None:
            last = r.runs[-1] if r.runs else None
            why = f"NOT CAUGHT ({last.outcome}: {', '.join(last.evidence) or 'no finding'})" \
                if last else "NOT CAUGHT (no check ran)"
            rows.append((r.defect.name, r.defect.layer, why, "", ""))
            continue
        rows.append((r.defect.name, r.defect.layer, *_caught_by(first),
                     f"{first.seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True))
             + "  " + row[4].rjust(7) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    caught = sum(r.caught for r in report.results)
    lines += ["", f"detection score: {caught}/{len(report.results)} = {report.score:.0%}"]
    if report.baseline:
        clean = len(report.baseline) - len(report.false_alarms)
        lines.append(f"correct build: {clean}/{len(report.baseline)} checks pass")
        lines += [f"  FALSE ALARM {b.check}: {b.outcome} {', '.join(b.evidence)}\n    "
                  + b.detail.replace("\n", "\n    ") for b in report.false_alarms]
    return "\n".join(lines)


def _caught_by(run: CheckRun) -> tuple[str, str]:
    """(what caught it, which invariants or test): a scenario and its failed invariants, or
    the test file and the failing test."""
    if run.check.startswith("scenario "):
        return run.check, ", ".join(run.evidence)
    path, _, test = (run.evidence[0] if run.evidence else "").partition("::")
    return path or run.check, test
