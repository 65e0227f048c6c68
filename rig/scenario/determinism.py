"""The determinism self-check: run scenarios twice from one seed, compare what the seed
decides (``rig selfcheck``; docs/determinism.md).

What a seed decides, and must come out the same: the steps in order with their arguments,
every draw from the run's generator (phone keys, phones, products, each fault's own seed),
each fault's actions with their parameters, and the checkpoint a checkpoint-triggered fault
landed on. What it does not decide (thread timing, OS scheduling): where the firmware was
when a step began or a time-based fault fired; those differences are listed as *timing*,
not counted as failures.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rig.history import TimelineEntry
    from rig.scenario.runner import RunResult

RIG_ACTIONS = ("step",)                 # the runner's own entries
NOT_FAULTS = ("final", "expectation")   # phases, not faults
LANDED_UNDECIDED = ("fire", "heal")     # where a fault was armed/healed: timing


@dataclass(frozen=True)
class Fingerprint:
    """What the seed decides about one run."""

    steps: list[str]
    draws: list[str]
    faults: list[str]                    # kind action params, in order
    landed: list[str]                    # kind action → checkpoint, checkpoint-triggered only
    timing: list[str] = field(default_factory=list)   # checkpoints timing decides

    def to_json(self) -> dict:
        return {"steps": self.steps, "draws": self.draws, "faults": self.faults,
                "landed": self.landed, "timing": self.timing}


@dataclass(frozen=True)
class Mismatch:
    what: str                            # steps | draws | faults | landed | timing
    index: int                           # the first position that differs
    first: str | None                    # the first run's entry there (None: it ended)
    second: str | None

    @property
    def counts(self) -> bool:
        """A real loss of determinism (timing differences are expected)."""
        return self.what != "timing"

    def describe(self) -> str:
        return (f"{self.what}[{self.index}]: first run {self.first or '(ended)'}; "
                f"second run {self.second or '(ended)'}")


def _params(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def fingerprint_of(timeline: Sequence[TimelineEntry], draws: Sequence[str]) -> Fingerprint:
    steps: list[str] = []
    faults: list[str] = []
    landed: list[str] = []
    timing: list[str] = []
    for e in timeline:
        if e.action in RIG_ACTIONS:
            steps.append(f"{e.kind} {_params(e.params)} {e.note}".rstrip())
            continue
        if e.kind in NOT_FAULTS:
            continue
        faults.append(f"{e.kind} {e.action} {_params(e.params)}")
        where = f"{e.kind} {e.action} → {e.checkpoint}"
        targeted = isinstance(e.params, dict) and e.params.get("checkpoint")
        (landed if targeted and e.action not in LANDED_UNDECIDED else timing).append(where)
    return Fingerprint(steps, list(draws), faults, landed, timing)


def fingerprint(result: RunResult) -> Fingerprint:
    return fingerprint_of(result.timeline, result.draws)


def _first_difference(a: Sequence[str], b: Sequence[str]) -> int | None:
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b) or a[i] != b[i]:
            return i
    return None


def compare(a: Fingerprint, b: Fingerprint) -> list[Mismatch]:
    """The first difference of each part (empty: the seed reproduced everything)."""
    out = []
    for what in ("steps", "draws", "faults", "landed", "timing"):
        x, y = getattr(a, what), getattr(b, what)
        i = _first_difference(x, y)
        if i is not None:
            out.append(Mismatch(what, i, x[i] if i < len(x) else None,
                                y[i] if i < len(y) else None))
    return out


@dataclass(frozen=True)
class SelfCheck:
    scenario: str                        # the scenario file
    outcomes: tuple[str, str]
    mismatches: list[Mismatch]

    @property
    def ok(self) -> bool:
        return not any(m.counts for m in self.mismatches)

    @property
    def broke(self) -> bool:
        """A run was a rig error: nothing to compare."""
        return "error" in self.outcomes

    def to_json(self) -> dict:
        return {"scenario": self.scenario, "outcomes": list(self.outcomes), "ok": self.ok,
                "mismatches": [vars(m) | {"counts": m.counts} for m in self.mismatches]}


def sample(paths: Sequence[Path], k: int, seed: int) -> list[Path]:
    """``k`` scenario files chosen by ``seed`` (all of them when k ≥ their number)."""
    paths = sorted(paths)
    return paths if k >= len(paths) else sorted(random.Random(seed).sample(paths, k))


def selfcheck(paths: Sequence[Path], run_seed: int, profile: str | None = None,
              progress: Callable[[str], Any] | None = None) -> list[SelfCheck]:
    """Run each scenario twice from ``run_seed`` and compare the two fingerprints."""
    from rig.scenario import load_scenario
    from rig.scenario.runner import RunOptions, run_scenario

    checks = []
    for path in paths:
        sc = load_scenario(path)
        runs = []
        for _ in range(2):
            runs.append(run_scenario(sc, RunOptions(run_seed=run_seed, profile=profile)))
        a, b = runs
        check = SelfCheck(str(path), (a.outcome, b.outcome),
                          compare(fingerprint(a), fingerprint(b)))
        checks.append(check)
        if progress is not None:
            progress(render_one(check))
    return checks


def render_one(check: SelfCheck) -> str:
    verdict = "rig error" if check.broke else "same" if check.ok else "DIFFERS"
    lines = [f"{check.scenario}: {verdict} (outcomes {check.outcomes[0]} / "
             f"{check.outcomes[1]})"]
    lines += [f"  {'timing  ' if not m.counts else 'mismatch'} {m.describe()}"
              for m in check.mismatches]
    return "\n".join(lines)
