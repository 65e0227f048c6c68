"""Run a fleet through an office day and check every channel.

Simulated time moves in steps (15 minutes while the offices are open, an hour at night).
In each step the planned faults fire and heal, every coffee due in it is bought at its
machine (machines in parallel, each machine's customers one after another), then chain time
and every firmware's clock move to the step's end together and each reachable machine syncs
once, and the money at risk is sampled. The firmware's redeem policy (threshold, interval)
therefore runs on simulated time against the real chain. After the night, every fault is
healed, every machine settles (final_phase) and the oracle checks each channel.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.node import Chain
from rig.effects import Effect
from rig.faults import fault_class
from rig.fleet.assemble import Fleet, FleetMachine, RedeemPolicy, boot, build_fleet
from rig.fleet.exposure import Exposure, Sample
from rig.fleet.faults import FleetFaults, PlannedFault, on_machines, plan
from rig.fleet.limits import ensure_open_files
from rig.fleet.measure import ResourceMeter
from rig.fleet.names import machine_name, machine_names
from rig.fleet.office_day import Arrival, OfficeDay, arrivals
from rig.fleet.shard import Shard
from rig.fleet.view import fleet_view
from rig.fleet.workdir import fresh_workdir
from rig.harness.collect import collect_history, scan
from rig.harness.control import ControlError
from rig.oracle import OracleReport, check
from rig.platform.channels import channel_state
from rig.platform.deploy import CREDIT
from rig.scenario.runner import final_phase

DAY = 24 * 3600
SYNC_WAIT = 30.0           # seconds a reachable machine gets to sync after a step
T = TypeVar("T")
Observer = Callable[[dict[str, Any]], None]
"""Gets a picture of the fleet (rig/fleet/view.py) after every step and at the end."""


@dataclass(frozen=True)
class FleetOptions:
    machines: int = 10
    seed: int = 0
    day: OfficeDay = field(default_factory=OfficeDay)
    faults: FleetFaults = field(default_factory=FleetFaults)
    policy: RedeemPolicy = field(default_factory=RedeemPolicy)
    step_seconds: int = 900            # simulated seconds per step while offices are open
    night_step_seconds: int = 3600
    sync_interval: float | None = None # real seconds between a firmware's chain syncs
    deposit: int = 200 * CREDIT        # each channel's deposit: about three days of coffee
    heal_budget: float = 180.0         # real seconds for every machine to settle at the end
    workers: int = 32                  # machines served at once
    defects: tuple[str, ...] = ()      # firmware defects switched on (the oracle must catch)
    chain_url: str | None = None
    workdir: Path | None = None
    keep: bool = False
    shard: Shard = field(default_factory=Shard)   # the part of the fleet this run holds

    @property
    def indices(self) -> list[int]:
        """The fleet indices of the machines this run holds (all, unless a shard)."""
        return self.shard.machines(self.machines)

    @property
    def sync_seconds(self) -> float:
        """The firmware's sync interval: 1 s, longer for large fleets so that a hundred
        firmwares polling the node leave the two cores room for the customers."""
        return self.sync_interval or max(1.0, self.machines / 25)

    @property
    def replay(self) -> str:
        """The `rig fleet` command that runs this day again (what the seed does not fix)."""
        f = self.faults
        faults = "--no-faults" if f == FleetFaults.none() else (
            f"--power-share {f.power_share:g} --partition-share {f.partition_share:g} "
            f"--partition-hours {f.partition_hours:g} --node-restarts {f.node_restarts} "
            f"--reorgs {f.reorgs}")
        return (f"rig fleet --machines {self.machines} --seed {self.seed} "
                f"--employees {self.day.employees} "
                f"--threshold {self.policy.threshold / CREDIT:g} "
                f"--interval {self.policy.interval:g} {faults}"
                + ("" if self.shard.whole else f" --shard {self.shard}"))


@dataclass
class MachineDay:
    """What happened at one machine."""

    name: str
    index: int = 0                     # in the fleet
    verdicts: Counter[str] = field(default_factory=Counter)
    dark: int = 0                      # customers who found the machine without power
    retaps: int = 0                    # taps again after the reader missed the phone
    errors: list[str] = field(default_factory=list)
    exposure: Exposure = field(default_factory=Exposure)
    report: OracleReport | None = None
    txs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """passed only when every invariant was decided and held (an undecided one is not a
        pass: it is ``inconclusive``)."""
        if self.report is None:
            return "error"
        if not self.report.ok:
            return "violated"
        return "inconclusive" if self.undecided else "passed"

    @property
    def undecided(self) -> list[str]:
        return [v.id for v in self.report.verdicts if v.outcome == "info"] if self.report \
            else []


@dataclass
class FleetResult:
    options: FleetOptions
    outcome: str = "error"             # passed | violated | error
    message: str = ""
    machines: list[MachineDay] = field(default_factory=list)
    faults: list[PlannedFault] = field(default_factory=list)
    coffees: int = 0
    timeline: list[dict[str, str]] = field(default_factory=list)   # faults fired and healed
    transfer_gas: int | None = None    # one ERC-20 transfer on the same token: the baseline
    wall: dict[str, float] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    workdir: Path | None = None


def _parallel(fn: Callable[[FleetMachine], T], machines: list[FleetMachine],
              workers: int) -> list[T]:
    with ThreadPoolExecutor(max(1, min(workers, len(machines)))) as pool:
        return list(pool.map(fn, machines))


class _Day:
    """The fleet's simulated day: steps of time, the faults, the customers, the samples."""

    def __init__(self, fleet: Fleet, opts: FleetOptions, result: FleetResult,
                 todo: list[Arrival], faults: list[PlannedFault],
                 observer: Observer | None = None):
        self.fleet, self.opts, self.result = fleet, opts, result
        self.todo, self.faults, self.observer = todo, faults, observer
        self.events = result.timeline              # faults as they fired and healed
        self.clock = _clock(opts.day.opens)
        self.at = float(opts.day.opens)          # simulated time of the last sample
        self.midnight = fleet.chain.timestamp() - opts.day.opens   # now is opening time
        self.now = float(self.midnight + opts.day.opens)
        self.partitioned: set[int] = set()
        self.active: list[tuple[PlannedFault, str]] = []
        self.machine = {fm.index: fm for fm in fleet.machines}     # by fleet index
        self.day_of = {d.index: d for d in result.machines}

    def steps(self) -> Iterator[tuple[float, float]]:
        day, t = self.opts.day, float(self.opts.day.opens)
        while t < day.opens + DAY:
            length = self.opts.step_seconds if t < day.closes else self.opts.night_step_seconds
            yield t, min(length, day.opens + DAY - t)
            t += length

    # --- faults ----------------------------------------------------------------------------
    def heal_due(self, until: float) -> None:
        for planned, label in [a for a in self.active if (a[0].heal_at or 0) < until]:
            self.active.remove((planned, label))
            self._note(planned, "heal")
            for i in planned.machines:
                fm = self.machine[i]
                fm.ctx.heal(kind=planned.kind, name=label)
                if _cuts_uplink(planned):     # a power cut's heal leaves a partition in place
                    self.partitioned.discard(i)
                self._set_clock(fm)

    def fire_due(self, start: float, until: float) -> None:
        for n, planned in enumerate(self.faults):
            if not start <= planned.at < until:
                continue
            label = f"{planned.kind}#{n + 1}"
            self._note(planned, "fire")
            if planned.chain_wide:
                first, *others = self.fleet.machines
                first.ctx.fire(None, planned.kind, planned.params, label)
                first.ctx.heal(kind=planned.kind, name=label)   # instantaneous or self-ending
                for fm in others:
                    fm.ctx.timeline.record(fm.rig, planned.kind, "fire", planned.params,
                                           note=f"{label}: chain-wide, fired at {first.name}")
                continue
            for i in planned.machines:
                self.machine[i].ctx.fire(None, planned.kind, planned.params, label)
                if _cuts_uplink(planned):
                    self.partitioned.add(i)
            self.active.append((planned, label))

    def _note(self, planned: PlannedFault, action: str) -> None:
        where = "the chain" if planned.chain_wide else \
            machine_names(planned.machines)
        self.events.append({"at": self.clock, "kind": planned.kind, "action": action,
                            "where": where})

    def publish(self, phase: str) -> None:
        if self.observer is None:
            return
        online = {fm.index for fm in self.fleet.machines if fm.index not in self.partitioned}
        self.observer(fleet_view(self.fleet, self.result, phase=phase, clock=self.clock,
                                 online=online, timeline=self.events))

    def heal_all(self) -> None:
        for planned, label in list(self.active):
            self._note(planned, "heal")
            for i in planned.machines:
                self.machine[i].ctx.heal(kind=planned.kind, name=label)
        self.active.clear()
        self.partitioned.clear()

    # --- customers -------------------------------------------------------------------------
    def serve(self, start: float, until: float) -> None:
        due = [a for a in self.todo if start <= a.at < until]
        if not due:
            return
        by_machine: dict[int, list[Arrival]] = {}
        for a in due:
            by_machine.setdefault(a.machine, []).append(a)
        self.result.coffees += len(due)
        _parallel(lambda fm: self._serve_one(fm, by_machine[fm.index]),
                  [self.machine[i] for i in sorted(by_machine)], self.opts.workers)

    def _serve_one(self, fm: FleetMachine, queue: list[Arrival]) -> None:
        day = self.day_of[fm.index]
        m = fm.rig
        for a in queue:
            if not m.powered:
                day.dark += 1
                continue
            try:
                outcome = m.tap(m.phones[a.employee], a.product)
            except (ControlError, TimeoutError, OSError) as e:
                day.errors.append(f"{_clock(a.at)} tap by phone{a.employee + 1}: "
                                  f"{type(e).__name__}: {e}"[:400])
                continue
            day.retaps += outcome.retaps
            day.verdicts[outcome.verdict] += 1

    # --- time ------------------------------------------------------------------------------
    def _set_clock(self, fm: FleetMachine) -> None:
        if fm.rig.powered:
            with contextlib.suppress(ControlError, OSError):
                fm.rig.control.clock_set(self.now)

    def advance(self, to: float) -> None:
        """Chain time and every firmware clock to ``to``; each reachable machine syncs."""
        chain = self.fleet.chain
        self.now = self.midnight + to
        self.clock = _clock(to)
        if chain.timestamp() < self.now:
            chain.set_next_block_timestamp(int(self.now))
        chain.mine()
        reachable = [fm for fm in self.fleet.machines
                     if fm.index not in self.partitioned and fm.rig.powered]
        for fm in self.fleet.machines:
            self._set_clock(fm)

        def synced(fm: FleetMachine) -> None:
            try:
                fm.rig.wait_synced(timeout=SYNC_WAIT)
            except ControlError as e:
                self.day_of[fm.index].errors.append(
                    f"{_clock(to)} no sync within {SYNC_WAIT} s: {e}"[:400])

        _parallel(synced, reachable, self.opts.workers)

    def sample(self, at: float) -> None:
        self.at = at
        for fm in self.fleet.machines:
            m = fm.rig
            signed = max((r.cumulative_amount for phone in m.phones
                          for r in phone.wallet.receipts(m.key)), default=0)
            redeemed = channel_state(m.platform, m.rental.channel_id).redeemed
            self.day_of[fm.index].exposure.add(Sample(at, signed, redeemed))


def _cuts_uplink(planned: PlannedFault) -> bool:
    """Whether the fault takes the machine off the chain (its declared effect)."""
    return Effect.CUTS_UPLINK in fault_class(planned.kind).effects_of(planned.params)


def _clock(seconds: float) -> str:
    minutes = int(seconds // 60) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def run_fleet(opts: FleetOptions, observer: Observer | None = None) -> FleetResult:
    """The fleet's day from ``opts.seed``; never raises for what happened in the day (only
    before it: FleetLimitError when the host cannot hold that many machines,
    FleetWorkdirError when ``opts.workdir`` holds files no fleet run made).
    ``observer`` (the live page) gets a picture of the fleet after every step."""
    mine = opts.indices
    ensure_open_files(len(mine))
    result = FleetResult(opts, machines=[MachineDay(machine_name(i), i) for i in mine])
    workdir = fresh_workdir(opts.workdir) if opts.workdir else \
        Path(tempfile.mkdtemp(prefix="rig-fleet-"))
    result.workdir = workdir
    meter = ResourceMeter()
    started = time.monotonic()
    node = None if opts.chain_url else Anvil(AnvilOptions(dump_history=False),
                                             log_path=workdir / "anvil.log")
    fleet: Fleet | None = None
    rng = random.Random(opts.seed)
    try:
        if node is not None:
            node.start()
        chain = Chain(opts.chain_url) if opts.chain_url else Chain(node.url)  # type: ignore[union-attr]
        fleet = build_fleet(workdir, chain, mine, rng.randrange(2**32),
                            employees=opts.day.employees, deposit=opts.deposit,
                            policy=opts.policy, sync_interval=opts.sync_seconds,
                            defects=opts.defects, anvil=node)
        # The whole fleet's day is drawn, then this run's part taken: a shard's machines get
        # the customers and faults they have in the whole fleet.
        held = set(mine)
        todo = [a for a in arrivals(opts.day, opts.machines, random.Random(rng.random()))
                if a.machine in held]
        result.faults = on_machines(
            plan(opts.faults, opts.day, opts.machines, random.Random(rng.random())), held)
        boot(fleet)
        result.wall["assemble"] = time.monotonic() - started
        day = _Day(fleet, opts, result, todo, result.faults, observer)
        day.sample(opts.day.opens)
        day.publish("day")
        day_started = time.monotonic()
        for start, length in day.steps():
            day.heal_due(start + length)
            day.fire_due(start, start + length)
            day.serve(start, start + length)
            day.advance(start + length)
            day.sample(start + length)
            meter.sample((fm.rig.pi.pid for fm in fleet.machines),
                         node.pid if node is not None else None)
            day.publish("day")
        result.wall["day"] = time.monotonic() - day_started
        _settle(fleet, day, opts, result)
        result.wall["settle"] = time.monotonic() - day_started - result.wall["day"]
        result.transfer_gas = _transfer_gas(fleet)
        result.resources = meter.report(len(mine))
        _decide(result)
        day.publish("finished")
    except Exception as e:   # the rig's own failure, not a finding about the fleet
        result.outcome = "error"
        result.message = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=8)}"
    finally:
        if fleet is not None:
            fleet.close()
        if node is not None:
            node.stop()
        result.wall["total"] = time.monotonic() - started
        if not opts.keep and opts.workdir is None and result.outcome == "passed":
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def _settle(fleet: Fleet, day: _Day, opts: FleetOptions, result: FleetResult) -> None:
    """Heal everything, let every machine settle, then collect and check each channel."""
    day.heal_all()
    day.publish("settling")
    _parallel(lambda fm: final_phase(fm.ctx, budget=opts.heal_budget), fleet.machines,
              opts.workers)
    scanned = scan(fleet.chain)
    for fm, md in zip(fleet.machines, result.machines, strict=True):
        history = collect_history(fm.rig, f"fleet-{fm.name}", opts.seed,
                                  fm.ctx.timeline.entries, fleet.supply_before,
                                  scanned=scanned)
        md.txs = [{"kind": t.kind, "gas": t.gas_used, "status": t.status, "block": t.block}
                  for t in history.machine_txs]
        md.report = check(history, replay=opts.replay)
        if result.workdir is not None:
            history.save(result.workdir / f"{fm.name}.history.json")
    day.sample(day.at)   # the settled channels, at the day's last moment (adds no exposure)


def _transfer_gas(fleet: Fleet) -> int:
    """Gas of paying one coffee by token transfer: the customer to a payee that already holds
    credits (both balances non-zero, as they would be after the first coffee). Sent after
    the channels were checked, so it touches nothing the oracle saw."""
    p = fleet.platform
    payee = fleet.machines[0].rig.platform.actors.payee.address
    price = min(fleet.machines[0].rig.rental.terms.prices.values())
    if p.balance(payee) == 0:
        p.tx(p.actors.customer, p.token.functions.transfer(payee, price))
    receipt = p.tx(p.actors.customer, p.token.functions.transfer(payee, price))
    return int(receipt["gasUsed"])


def _decide(result: FleetResult) -> None:
    violated = [m.name for m in result.machines if m.outcome == "violated"]
    undecided = [m.name for m in result.machines if m.outcome == "inconclusive"]
    erred = [m.name for m in result.machines if m.errors]
    if violated:
        result.outcome = "violated"
        result.message = f"{len(violated)} channel(s) violated an invariant: {violated[:10]}"
    elif undecided:
        result.outcome = "inconclusive"
        result.message = (f"{len(undecided)} channel(s) left an invariant undecided: "
                          f"{undecided[:10]}")
    elif erred:
        result.outcome = "error"
        result.message = (f"{len(erred)} machine(s) had rig errors (taps or syncs the rig "
                          f"could not complete): {erred[:10]}")
    else:
        result.outcome = "passed"
        result.message = f"all {len(result.machines)} channels reconciled"
