"""Run a scenario end to end: fresh chain, the rented machine, steps, heal, sync, check.

Outcomes: ``passed`` (every invariant held and every target was decided), ``violated`` (the
oracle found a violation), ``failed`` (a scenario assertion failed), ``inconclusive`` (the
oracle could not decide what the scenario exists to prove; rig/scenario/verdict.py), all
three never retried; ``error`` (rig infrastructure: may be retried once).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.chain.anvil import Anvil
from rig.chain.errors import MissingCapability
from rig.chain.node import Chain
from rig.chain.share import NodeShare
from rig.harness.assemble import build_machine
from rig.harness.collect import collect_history
from rig.harness.control import ControlError
from rig.harness.machine_rig import MachineRig
from rig.history import History, TimelineEntry
from rig.hosts.xdist import HOST_ENV
from rig.oracle import OracleReport, check
from rig.platform import deploy_platform
from rig.platform.rental import RentalTerms
from rig.scenario.context import RunContext, StepFailed
from rig.scenario.draws import RecordingRandom
from rig.scenario.model import Scenario
from rig.scenario.seeds import scenario_seed
from rig.scenario.verdict import Reproduction, decide

SYNC_TIMEOUT = 90.0


@dataclass
class RunOptions:
    run_seed: int                     # the run's seed; the scenario's own is derived from it
    profile: str | None = None        # overrides the scenario's settings.profile
    defects: tuple[str, ...] = ()
    chain_url: str | None = None
    share: NodeShare = field(default_factory=NodeShare)   # of the --chain-url node
    workdir: Path | None = None
    keep: bool = False


@dataclass
class RunResult:
    scenario: Scenario
    run_seed: int
    seed: int                         # the scenario's seed (derived)
    outcome: str                      # passed | violated | failed | inconclusive | error
    message: str = ""
    history: History | None = None
    report: OracleReport | None = None
    ops: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    duration: float = 0.0
    workdir: Path | None = None
    draws: list[str] = field(default_factory=list)    # the seed's draws, in order (draws.py)
    reproduction: Reproduction | None = None         # re-runs of a failure from its seed
    missing_capability: str | None = None            # the error was the node lacking it
    parts: dict[str, dict[str, str]] = field(default_factory=dict)   # kind, driver, device

    def record(self) -> dict[str, Any]:
        """What `rig replay FILE` needs, plus the verdicts, as JSON."""
        return {"scenario": self.scenario.name, "scenario_file": str(self.scenario.source or ""),
                "run_seed": self.run_seed, "seed": self.seed, "outcome": self.outcome,
                "message": self.message, "replay": self.replay,
                "expect": dict(self.scenario.expect),
                "reproduction": self.reproduction.to_json() if self.reproduction else None,
                "report": self.report.to_json() if self.report else None,
                "duration": self.duration, "host": _host(), "parts": self.parts}

    def write_record(self) -> None:
        """``run.json`` in the run's directory (again, once re-runs classified it)."""
        if self.workdir is None or not self.workdir.is_dir():
            return
        with contextlib.suppress(OSError, TypeError, ValueError):
            (self.workdir / "run.json").write_text(json.dumps(self.record(), indent=1,
                                                              default=str))

    @property
    def replay(self) -> str:
        src = self.scenario.source or self.scenario.name
        return f"rig replay {self.run_seed} {src}"


def _host() -> str:
    """Where the scenario ran: the hosts file's name for this host (rig.hosts), else the
    machine's own name."""
    return os.environ.get(HOST_ENV) or socket.gethostname()


def run_scenario(sc: Scenario, opts: RunOptions) -> RunResult:
    started = time.monotonic()
    seed = scenario_seed(opts.run_seed, sc.id)
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix=f"rig-{sc.id}-"))
    result = RunResult(sc, opts.run_seed, seed, "error", workdir=workdir)
    node = None if opts.chain_url else Anvil(log_path=workdir / "anvil.log")
    m: MachineRig | None = None
    ctx: RunContext | None = None
    rng = RecordingRandom(seed)
    result.draws = rng.draws
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        if node is not None:
            node.start()
        chain = (Chain(opts.chain_url, share=opts.share) if opts.chain_url
                 else Chain(node.url))  # type: ignore[union-attr]
        m, ctx, supply = _set_up(sc, opts, rng, chain, node, workdir)
        expectation = ""
        try:
            for s in sc.steps:
                ctx.run(s)
        except StepFailed as e:
            # The rest of the steps are skipped, but the run is still healed, synced and
            # checked: the invariants say what the broken expectation cost.
            expectation = str(e)
            ctx.timeline.record(m, "expectation", "fail", {}, note=expectation)
        final_phase(ctx)
        result.parts = m.describe_parts()
        result.ops, result.timeline = ctx.ops, ctx.timeline.entries
        result.history = collect_history(m, sc.name, seed, ctx.timeline.entries, supply)
        result.report = check(result.history, replay=result.replay)
        decision = decide(result.report, expectation, sc.expect)
        result.outcome, result.message = decision.outcome, decision.message
    except Exception as e:  # everything else is the rig's own failure
        if isinstance(e, MissingCapability):
            result.missing_capability = e.capability
        if ctx is not None:
            result.ops = ctx.ops
            result.timeline = ctx.timeline.entries
        result.outcome = "error"
        result.message = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=8)}"
    finally:
        if m is not None:
            result.logs = _logs(m)
            m.close()
        if node is not None:
            node.stop()
        result.duration = time.monotonic() - started
        result.write_record()
        with contextlib.suppress(OSError, TypeError, ValueError):
            if result.history is not None:
                result.history.save(workdir / "history.json")
        if not opts.keep and opts.workdir is None and result.outcome == "passed":
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def _set_up(sc: Scenario, opts: RunOptions, rng: RecordingRandom, chain: Chain,
            node: Anvil | None, workdir: Path) -> tuple[MachineRig, RunContext, int]:
    st = sc.settings
    platform = deploy_platform(chain, challenge_period=st.challenge_period)
    supply = platform.token.functions.totalSupply().call()
    terms = (RentalTerms(channel_deposit=st.deposit, prices=dict(st.prices)) if st.prices
             else RentalTerms(channel_deposit=st.deposit))
    m = build_machine(workdir / "machine", platform, rng, opts.profile or st.profile,
                      phones=st.phones, terms=terms, confirmations=st.confirmations,
                      sync_interval=st.sync_interval, redeem_threshold=st.redeem_threshold,
                      redeem_interval=st.redeem_interval, defects=tuple(opts.defects))
    m.anvil = node
    return m, RunContext(m, rng), supply


def final_phase(ctx: RunContext, budget: float | None = None) -> None:
    """Heal everything, let the firmware sync and redeem, mine to the confirmation depth.

    A firmware that never gets there (it cannot redeem, it hangs) is a finding for the
    oracle, not a rig failure: the phase notes how far it got and the run is checked.
    ``budget`` bounds the whole phase in seconds (else each wait has ``SYNC_TIMEOUT``)."""
    m = ctx.machine
    ends = None if budget is None else time.monotonic() + budget

    def left() -> float:
        return SYNC_TIMEOUT if ends is None else min(SYNC_TIMEOUT,
                                                     max(0.0, ends - time.monotonic()))

    ctx.heal()
    ctx.timeline.record(m, "final", "step", {}, note="healed all faults; final sync")
    m.set_online(True)
    m.strategy.transition("booted")
    waits = [
        ("synced", lambda: m.wait_synced(timeout=left())),
        ("every paid brew resolved", lambda: m.wait_until(
            lambda s: not s["unfinished_brews"], timeout=left())),
        ("redeem requested", lambda: _request_redeem(m)),
        ("latest receipt redeemed, outbox final", lambda: m.wait_until(
            _settled, timeout=left())),
        ("confirmation depth", lambda: m.mine(max(1, m.settings.confirmations))),
        ("synced again", lambda: m.wait_synced(timeout=left())),
    ]
    for what, wait in waits:
        try:
            wait()
        except (TimeoutError, ControlError) as e:
            ctx.timeline.record(m, "final", "incomplete", {"waiting_for": what},
                                note=f"{type(e).__name__}: {e}"[:500])
            return


def _request_redeem(m: MachineRig) -> None:
    s = m.status()
    if s["view"]["status"] in (1, 2) and s["latest"] and \
            s["latest"]["cumulative"] > s["view"]["redeemed"]:
        m.control.request("redeem")


def _settled(s: dict) -> bool:
    latest = s["latest"] or {}
    if s["open_tx"]:
        return False
    if s["view"]["status"] == 3 or s["view"]["redeemed"] >= latest.get("cumulative", 0):
        return True
    # The machine tried and the chain refused that receipt: nothing more will happen.
    return any(t["kind"] == "redeem" and t["state"] == "failed"
               and t["meta"].get("sequence") == latest.get("sequence") for t in s["outbox"])


def _logs(m: MachineRig) -> dict[str, str]:
    out = {}
    for name in ("console.jsonl", "dispenses.jsonl"):
        path = m.workdir / name
        if path.exists():
            out[name] = path.read_text()[-200_000:]
    return out
