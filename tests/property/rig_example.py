"""One example of the property test: a fresh machine on the shared chain, its steps, and the
scenario runner's own ending (heal, final sync, History, oracle).

The ending is the heal phase: every fault off, and the machine must reconcile by itself
(every paid brew resolved, the latest receipt redeemed, its outbox final) within
``HEAL_BUDGET`` seconds. One that does not is "no progress", reported with what was still
outstanding; the oracle still judges the History it left.

The machine is built exactly as ``rig.scenario.runner`` builds it for a scenario file (same
seed derivation from the run seed and the scenario id, same draws from the same generator),
so the written schedule replays with the same phones, keys and fault draws.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.harness.assemble import build_machine
from rig.harness.collect import collect_history
from rig.harness.control import ControlError
from rig.harness.machine_rig import MachineRig
from rig.history import History
from rig.oracle import OracleReport, check
from rig.platform.rental import RentalTerms
from rig.scenario.context import RunContext
from rig.scenario.model import Settings, Step
from rig.scenario.runner import final_phase
from rig.scenario.seeds import scenario_seed
from tests.property.rig_actions import ScheduleStep
from tests.property.rig_coverage import Evidence, reached
from tests.property.rig_schedule import FAILURES, scenario_doc, write_scenario
from tests.property.rig_swarm import FaultProfile
from tests.property.rig_world import SharedChain

PHASES = ("start", "steps", "final_sync", "oracle", "reset")   # timings keys, plus "total"
# Seconds the heal phase may take: a healthy machine reconciles in about one; under a CPU hog
# beside eight shards a few. A firmware that is still not done is stuck, not slow.
HEAL_BUDGET = 45.0


class ExampleError(RuntimeError):
    """An example was driven out of order (a step before start, a second finish, ...)."""


@dataclass
class ExampleRun:
    world: SharedChain
    name: str                    # the scenario id: the failure file's stem
    run_seed: int
    settings: Settings
    defects: tuple[str, ...] = ()
    failures: Path = FAILURES    # where write() puts the scenario file
    profile: FaultProfile | None = None   # the swarm fault profile the example drew
    steps: list[ScheduleStep] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    machine: MachineRig | None = None
    ctx: RunContext | None = None
    history: History | None = None
    report: OracleReport | None = None
    no_progress: str = ""        # the heal phase did not finish: what it waited for, and why
    reached: list[str] = field(default_factory=list)   # dangerous states (rig_coverage)

    def __post_init__(self) -> None:
        self.seed = scenario_seed(self.run_seed, self.name)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"rig-{self.name}-"))
        self._supply = 0
        self._created = time.monotonic()

    @property
    def replay(self) -> str:
        return f"rig replay {self.run_seed} {self.failures / (self.name + '.yaml')}"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> MachineRig:
        """Build the rented machine (not yet powered), as the scenario runner's _set_up."""
        if self.machine is not None:
            raise ExampleError(f"example {self.name} is already started")
        _, platform, anvil = self.world.ready()
        began = time.monotonic()
        st = self.settings
        rng = random.Random(self.seed)
        self._supply = platform.token.functions.totalSupply().call()
        terms = (RentalTerms(channel_deposit=st.deposit, prices=dict(st.prices)) if st.prices
                 else RentalTerms(channel_deposit=st.deposit))
        m = build_machine(self.workdir / "machine", platform, rng, st.profile,
                          phones=st.phones, terms=terms, confirmations=st.confirmations,
                          sync_interval=st.sync_interval, redeem_threshold=st.redeem_threshold,
                          redeem_interval=st.redeem_interval, defects=self.defects)
        m.anvil = anvil
        self.machine, self.ctx = m, RunContext(m, rng)
        self.timings["start"] += time.monotonic() - began
        return m

    def do(self, steps: list[ScheduleStep], phase: str = "steps") -> None:
        """Run scenario steps through the runner's step functions, recording each."""
        ctx = self._ctx()
        began = time.monotonic()
        try:
            for kind, args in steps:
                self.steps.append((kind, dict(args)))
                step = Step(kind, dict(args), f"{self.name}: steps[{len(self.steps) - 1}] {kind}")
                self._run(ctx, step)
        finally:
            self.timings[phase] += time.monotonic() - began

    @staticmethod
    def _run(ctx: RunContext, step: Step) -> None:
        """Run one step. Two ways a step loses the firmware are not rig failures: the power
        went off meanwhile (a cut the timeline records; a firmware that died by itself is
        the step invariants' business), and a phone pulled away right after SELECT that the
        reader never saw as a tap (``MachineRig.tap`` waits for a ``tap-done`` that cannot
        come)."""
        mark = ctx.machine.control.mark()
        try:
            ctx.run(step)
        except ControlError:
            if ctx.machine.pi.powered and not _unseen_pull_away(ctx, step, mark):
                raise
            what = "the power went off" if not ctx.machine.pi.powered else \
                "the phone left before the reader saw it"
            ctx.timeline.record(ctx.machine, step.kind, "interrupted", dict(step.args),
                                note=f"{step.where}: {what}")

    def record_wait(self, seconds: float, mine_every: float = 0.0) -> None:
        """Note a wait the rule did by polling, so the written schedule waits as long (and
        mines as often, when blocks came meanwhile)."""
        if seconds >= 0.05:
            self.steps.append(("wait", {"seconds": round(seconds + 0.05, 2),
                                        **({"mine_every": mine_every} if mine_every else {})}))

    def finish(self) -> OracleReport:
        """Heal, final sync, collect the History and run the full oracle."""
        ctx, m = self._ctx(), self.machine
        assert m is not None
        if self.report is not None:
            raise ExampleError(f"example {self.name} is already finished")
        began = time.monotonic()
        mark = len(ctx.timeline.entries)
        final_phase(ctx, budget=HEAL_BUDGET)
        self.timings["final_sync"] += time.monotonic() - began
        stuck = [e for e in ctx.timeline.entries[mark:]
                 if e.kind == "final" and e.action == "incomplete"]
        if stuck:
            self.no_progress = (f"no progress within the {HEAL_BUDGET:.0f} s heal phase: "
                                f"waiting for {stuck[0].params.get('waiting_for')} "
                                f"({stuck[0].note}); outstanding: {outstanding(m)}")
        began = time.monotonic()
        self.history = collect_history(m, self.name, self.seed, ctx.timeline.entries,
                                       self._supply, from_block=self.world.base_block + 1)
        self.report = check(self.history, replay=self.replay)
        self.timings["oracle"] += time.monotonic() - began
        return self.report

    def close(self, keep: bool = False) -> None:
        """Stop the machine and put the chain back; ``keep`` leaves the workdir for a look."""
        began = time.monotonic()
        if self.ctx is not None and self.machine is not None:
            self.reached = reached(Evidence.of(self.ctx.timeline.entries,
                                               self.machine.workdir / "console.jsonl"))
        try:
            self._heal_left_over()
            if self.machine is not None:
                self.machine.close()
            self.world.reset()
        finally:
            if not keep:
                with contextlib.suppress(OSError):
                    shutil.rmtree(self.workdir)
            self.timings["reset"] += time.monotonic() - began
            self.timings["total"] = time.monotonic() - self._created

    def _heal_left_over(self) -> None:
        """A failed example never reached its final phase: heal what it left active, so no
        fault's thread (a dropped transaction's watcher, a flapping link) reaches into the
        next example on the shared chain."""
        if self.ctx is None:
            return
        for active in reversed(list(self.ctx.active)):
            try:
                self.ctx.heal(name=active.name)
            except Exception as e:  # the machine may be half gone; the chain reset follows
                print(f"{self.name}: healing {active.name} failed: {type(e).__name__}: {e}",
                      file=sys.stderr)

    # ------------------------------------------------------------------ output
    def scenario(self, description: str = "") -> dict[str, Any]:
        if self.profile is not None:
            description = f"{self.profile.describe()}. {description}".strip()
        return scenario_doc(self.name, self.settings, self.steps, description)

    def write(self, description: str = "") -> Path:
        return write_scenario(self.scenario(description), self.failures)

    def _ctx(self) -> RunContext:
        if self.ctx is None:
            raise ExampleError(f"example {self.name} is not started: call start() first")
        return self.ctx


def outstanding(m: MachineRig) -> str:
    """What the machine still owes the chain or its customers, from its own status."""
    try:
        s = m.status()
    except Exception as e:  # the firmware is gone or hangs: that is the answer
        return f"the firmware does not answer ({type(e).__name__}: {e})"
    latest, view = s.get("latest") or {}, s.get("view") or {}
    owed = latest.get("cumulative", 0) - view.get("redeemed", 0)
    items = [f"{owed} acknowledged but not redeemed (receipt {latest.get('sequence')})"
             if owed > 0 else "",
             f"paid brews unresolved {s['unfinished_brews']}" if s.get("unfinished_brews")
             else "",
             f"{s['open_tx']} transaction(s) not final: "
             + ", ".join(f"{t['kind']} {t['state']}" for t in s.get("outbox", [])
                         if t["state"] in ("signed", "broadcast", "mined"))
             if s.get("open_tx") else "",
             "offline" if not s.get("online") else ""]
    return "; ".join(i for i in items if i) or "nothing (it settled after the budget)"


def _unseen_pull_away(ctx: RunContext, step: Step, mark: int) -> bool:
    if step.kind != "tap" or any(c.name == "tap" for c in ctx.machine.control.checkpoints[mark:]):
        return False
    phone = step.args.get("phone", 1)
    return any(a.fault.kind == "nfc.pull_away" and a.fault.params().get("phone") == phone
               and a.fault.params().get("when") == "after-select" for a in ctx.active)
