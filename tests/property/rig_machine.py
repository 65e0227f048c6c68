"""The whole rig as a Hypothesis rule-based state machine: random fault schedules end to end.

Each example is a real run: a fresh machine (firmware process, SD card, emulated hardware)
on the shared anvil, a random sequence of people's actions and faults, then the scenario
runner's final phase and the full oracle. Rules are the scenario steps of
``tests/property/rig_actions.py``; live preconditions (``live``) keep a schedule meaningful
(no tap while the power is off, heal only what is active, no customer transaction after the
channel settled) by making a rule a no-op when its precondition does not hold;
cheap invariants are checked after every step. A failing example is written as a scenario
file (``build/property-failures/<name>.yaml``) besides the program Hypothesis prints.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from rig.harness.control import ControlError
from rig.harness.machine_rig import MachineRig
from rig.platform.channels import ChannelState, channel_state
from rig.platform.rental import DEFAULT_PRICES
from rig.scenario.model import Settings
from tests.property import rig_actions as actions
from tests.property import rig_checks as checks
from tests.property.rig_checks import ChainBaseline
from tests.property.rig_example import ExampleRun
from tests.property.rig_schedule import FAILURES
from tests.property.rig_swarm import ROLL, FaultProfile, fault_profiles
from tests.property.rig_world import CHALLENGE_PERIOD, SharedChain

# A small deposit, so offline sales reach the bound within a few coffees, and a threshold
# of about two coffees, so the machine redeems by itself while faults are active.
SETTINGS = Settings(phones=2, deposit=1_000_000, redeem_threshold=450_000, confirmations=2,
                    sync_interval=0.2,
                    challenge_period=CHALLENGE_PERIOD)
PRODUCTS = tuple(sorted(DEFAULT_PRICES))
PAID = ("served", "credited", "pending", "interrupted")
POLL = 0.05
CLOSE_WINDOW = 5.0   # real seconds the machine gets to see a close before the customer settles
CLOSE_BLOCK_EVERY = 0.25   # seconds between the blocks mined meanwhile
BACKUP = "monday"

Rule = TypeVar("Rule", bound=Callable[..., Any])
phones = st.integers(1, SETTINGS.phones)
products = st.sampled_from(PRODUCTS)
pick = st.integers(0, 15)      # which active fault a heal takes (modulo how many there are)


def live(condition: Callable[[Any], bool] = lambda _self: True) -> Callable[[Rule], Rule]:
    """A rule's precondition on the live rig (is the Pi powered, which faults came, is the
    chain mining), checked when the rule runs: if it does not hold, the rule does nothing.

    Hypothesis preconditions must depend only on the choices made so far. These depend on
    timing, so a replayed choice sequence (shrinking, the example database) could enable other
    rules, and Hypothesis would stop the whole run with ``FlakyStrategyDefinition`` (it did,
    in a nightly shard). A rule that does nothing costs a step, not the run. Every rule is
    guarded, if only by the example having started and not failed."""

    def decorate(rule_fn: Rule) -> Rule:
        @functools.wraps(rule_fn)
        def guarded(self: RigStateMachine, *args: Any, **kwargs: Any) -> None:
            if self.run is None or self.failed or not condition(self):
                return None
            return rule_fn(self, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def fault_rule(family: str, condition: Callable[[Any], bool] = lambda _self: True
               ) -> Callable[[Rule], Rule]:
    """A rule of fault ``family`` (give it a ``roll=ROLL`` argument): never chosen while the
    example's fault profile has the family off; when chosen, it fires if its roll is below
    the family's rate and otherwise someone buys a coffee. ``condition`` as in ``live``."""

    def decorate(rule_fn: Rule) -> Rule:
        @functools.wraps(rule_fn)
        def swarmed(self: RigStateMachine, roll: int, **kwargs: Any) -> None:
            if not self.profile.fires(family, roll):
                self.act(self.purchase(1 + roll % SETTINGS.phones, PRODUCTS[roll % len(PRODUCTS)]))
                return None
            return rule_fn(self, **kwargs)

        guarded = live(condition)(swarmed)  # type: ignore[arg-type]
        return precondition(lambda self: self.profile.on(family))(guarded)  # type: ignore[return-value]

    return decorate


class OracleViolation(AssertionError):
    """The full oracle found a violated invariant at the end of an example."""


class StepInvariantError(AssertionError):
    """A cheap invariant failed right after a step; says which and with what values."""


@dataclass
class ExampleRecord:
    """What one example did and cost: the benchmark's raw data."""

    name: str
    run_seed: int
    rules: int
    steps: int
    outcome: str                   # passed | violated | no-progress | error
    profile: dict[str, Any] = field(default_factory=dict)   # the example's fault profile
    summary: str = ""              # one line: what failed
    message: str = ""              # the oracle's report or the error, in full
    timings: dict[str, float] = field(default_factory=dict)
    scenario_file: str = ""
    schedule: list[actions.ScheduleStep] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)   # dangerous states (rig_coverage)


class RigStateMachine(RuleBasedStateMachine):
    """Bind a started ``SharedChain`` to ``world`` (else the class starts one on first use);
    ``strict`` False records verdicts in ``records`` instead of failing (the benchmark)."""

    world: ClassVar[SharedChain | None] = None
    strict: ClassVar[bool] = True
    defects: ClassVar[tuple[str, ...]] = ()
    records: ClassVar[list[ExampleRecord]] = []
    kept: ClassVar[Path | None] = None     # the last failing example's workdir (logs, card)
    failures_dir: ClassVar[Path] = FAILURES

    def __init__(self) -> None:
        super().__init__()
        self.run: ExampleRun | None = None
        self.failed = ""            # what raised in a rule or invariant: the example failed
        self.rules_run = 0          # rules this example ran (hypothesis owns ``self.rules``)
        self.names = 0
        self.channel = ChannelState.OPEN
        self.revoked = False        # one phone's signer revoked (the other keeps buying)
        self.protected_block = 0    # reorgs stop above the customer's last transaction
        self.seen = ChainBaseline()
        self.profile = FaultProfile()   # drawn by boot; every family on until then
        self.backed_up = False          # the SD card copy old_backup puts back

    # ------------------------------------------------------------------ plumbing
    @classmethod
    def shared_world(cls) -> SharedChain:
        if cls.world is None or not cls.world.running:
            cls.world = SharedChain().start()
            atexit.register(cls.world.stop)
        return cls.world

    @property
    def m(self) -> MachineRig:
        assert self.run is not None and self.run.machine is not None
        return self.run.machine

    @property
    def powered(self) -> bool:
        return self.run is not None and self.run.machine is not None and self.m.pi.powered

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Notes what a rule or invariant raised, so teardown knows the example failed (and
        skips the oracle); outside ``strict`` the error is only recorded."""
        try:
            yield
        except BaseException as e:
            # A check that failed says what it found; anything else (a rig error) keeps
            # its traceback for the report (summaries are the first line).
            where = "" if isinstance(e, AssertionError) else f"\n{traceback.format_exc()}"
            self.failed = self.failed or f"{type(e).__name__}: {e}{where}"
            if self.strict or not isinstance(e, Exception):
                raise

    def act(self, steps: list[actions.ScheduleStep]) -> None:
        """One rule's steps (a failed example does nothing more)."""
        if self.failed:
            return
        self.rules_run += 1
        assert self.run is not None
        with self.guard():
            self.run.do(steps)

    def label(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def active(self, prefix: str) -> list[tuple[str, str]]:
        """(name, kind) of the active faults whose kind starts with ``prefix``."""
        if self.run is None or self.run.ctx is None:
            return []
        return [(a.name, a.fault.kind) for a in self.run.ctx.active
                if a.fault.kind.startswith(prefix)]

    def active_params(self, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
        if self.run is None or self.run.ctx is None:
            return []
        return [(a.name, a.fault.kind, a.fault.params()) for a in self.run.ctx.active
                if a.fault.kind.startswith(prefix)]

    def paid_taps(self) -> int:
        assert self.run is not None and self.run.ctx is not None
        return sum(op["op"] == "tap" and op["verdict"] in PAID for op in self.run.ctx.ops)

    def customer_did(self) -> None:
        self.protected_block = self.m.chain.block_number

    def await_power_off(self, seconds: float) -> bool:
        """Poll until the power is off (True) or ``seconds`` pass; the time spent goes into
        the schedule as a wait."""
        assert self.run is not None
        began = time.monotonic()
        deadline = began + seconds
        while self.powered and time.monotonic() < deadline:
            time.sleep(POLL)
        self.run.record_wait(time.monotonic() - began)
        return not self.powered

    def purchase(self, phone: int, product: int) -> list[actions.ScheduleStep]:
        """People keep buying coffee whatever else happens: a tap if the machine has power."""
        return actions.tap(phone, product) if self.powered else []

    def refire(self, kind: str, params: dict[str, Any], prefix: str,
               same: list[str]) -> list[actions.ScheduleStep]:
        """Heal what ``same`` names (a fault of that kind is active), then fire anew."""
        steps = [s for name in same for s in actions.heal(name)]
        return steps + actions.fault(kind, self.label(prefix), **params)

    # ------------------------------------------------------------------ start
    @initialize(run_seed=st.integers(0, 2**32 - 1), profile=fault_profiles())
    def boot(self, run_seed: int, profile: FaultProfile | None = None) -> None:
        """The example's fault profile, then a new machine on the deployed platform, booted
        and synced once."""
        self.profile = profile or FaultProfile()
        self.run = ExampleRun(self.shared_world(), f"stateful-{run_seed}", run_seed, SETTINGS,
                              defects=tuple(self.defects), failures=self.failures_dir,
                              profile=self.profile)
        self.seen = ChainBaseline(deposit=SETTINGS.deposit)
        with self.guard():
            self.run.start()
            self.customer_did()
            self.run.do(actions.boot(), phase="start")

    # ------------------------------------------------------------------ people
    @rule(phone=phones, product=products)
    @live(lambda self: self.powered)
    def buy_coffee(self, phone: int, product: int) -> None:
        self.act(actions.tap(phone, product))

    @rule(purchases=st.lists(st.tuples(phones, products), min_size=2, max_size=4))
    @live(lambda self: self.powered)
    def coffee_rush(self, purchases: list[tuple[int, int]]) -> None:
        """Several people in a row (coffees are what the faults are about, so two rules
        buy them)."""
        self.act([s for phone, product in purchases for s in actions.tap(phone, product)])

    @rule()
    @live(lambda self: self.powered)
    def redeem_button(self) -> None:
        self.act(actions.redeem())

    @rule()
    @live(lambda self: self.powered)
    def let_time_pass(self) -> None:
        self.act(actions.wait(0.5))

    # ------------------------------------------------------------------ power
    @rule(checkpoint=st.sampled_from(actions.TAP_CHECKPOINTS + actions.REDEEM_CHECKPOINTS),
          phone=phones, product=products, roll=ROLL)
    @fault_rule("power", lambda self: self.powered and not self.active("power.cut_at_checkpoint"))
    def power_cut_at_checkpoint(self, checkpoint: str, phone: int, product: int) -> None:
        """Cut at a named checkpoint of the payment or redeem path; a cut that did not come
        (the tap was refused, nothing to redeem) is healed: the hold comes off."""
        name = self.label("cut")
        self.act(actions.cut_at_checkpoint(name, checkpoint, self.well_phone(phone), product))
        with self.guard():
            if self.failed:
                return
            if not self.await_power_off(actions.cut_settle_seconds(checkpoint)):
                self.run.do(actions.heal(name))  # type: ignore[union-attr]

    def well_phone(self, phone: int) -> int:
        """``phone``, or a phone without a misbehaviour if it has one (a refused tap never
        reaches the checkpoint the cut waits for)."""
        sick = {p["phone"] for _, _, p in self.active_params("nfc.")}
        well = [i for i in range(1, SETTINGS.phones + 1) if i not in sick]
        return phone if phone not in sick or not well else well[phone % len(well)]

    @rule(k=st.integers(1, 3), torn=st.booleans(), phone=phones, product=products, roll=ROLL)
    @fault_rule("power", lambda self: self.powered and not self.active("power.cut_at_write")
                and not self.active("power.torn_write"))
    def power_cut_at_write(self, k: int, torn: bool, phone: int, product: int) -> None:
        name = self.label("write")
        self.act(actions.cut_at_write(name, k, torn, phone, product))
        with self.guard():
            if self.failed:
                return
            if not self.await_power_off(1.5):
                self.run.do(actions.heal(name))  # type: ignore[union-attr]

    @rule(delay=st.sampled_from(actions.CUT_DELAYS), phone=phones, product=products, roll=ROLL)
    @fault_rule("power", lambda self: self.powered)
    def power_cut_after(self, delay: float, phone: int, product: int) -> None:
        name = self.label("cut")
        self.act(actions.cut_after(name, delay, phone, product))
        with self.guard():
            if self.failed:
                return
            if not self.await_power_off(delay + 1.0):
                self.run.do(actions.heal(name))  # type: ignore[union-attr]

    @rule()
    @live(lambda self: not self.powered)
    def power_on(self) -> None:
        """Heal the power faults (each powers the Pi back on), or switch it on."""
        names = [n for n, _ in self.active("power.")]
        self.act([s for n in names for s in actions.heal(n)] or actions.power_on())

    # ------------------------------------------------------------------ network
    @rule(choice=st.sampled_from(actions.NET_FAULTS), phone=phones, product=products, roll=ROLL)
    @fault_rule("net")
    def net_fault(self, choice: tuple[str, dict[str, Any]], phone: int, product: int) -> None:
        """A network fault between the machine and the chain, then a purchase. A lossy
        uplink loses the profile's share of requests; a profile without loss buys only. A
        lost answer to a broadcast is followed by the redeem button, so a redeem meets it."""
        kind, params = choice
        if kind == "net.loss":
            if not self.profile.rpc_loss:
                self.act(self.purchase(phone, product))
                return
            params = {**params, "percent": float(self.profile.rpc_loss)}
        same = [n for n, k in self.active("net.") if k == kind]
        after = actions.redeem() if kind == "net.response_lost" and self.powered else []
        self.act(self.refire(kind, params, "net", same) + self.purchase(phone, product)
                 + after)

    # ------------------------------------------------------------------ chain
    def reorg_room(self) -> int:
        """Blocks above the customer's last transaction and the last node restart (nobody
        re-broadcasts the customer's transactions a reorg removes, only the machine's own)."""
        if self.run is None or self.run.machine is None or self.failed:
            return 0
        try:
            return self.m.chain.block_number - self.protected_block
        except Exception:  # the node is unreachable: no reorg now
            return 0

    @rule(depth=st.sampled_from(actions.REORG_DEPTHS), roll=ROLL)
    @fault_rule("chain", lambda self: self.reorg_room() >= 1)
    def chain_reorg(self, depth: int) -> None:
        self.act(actions.fault("chain.reorg", self.label("reorg"),
                           depth=min(depth, self.reorg_room())))
        self.seen = self.seen.forget_redeems()

    @rule(roll=ROLL)
    @fault_rule("chain", lambda self: self.powered and self.paid_taps() > 0
                and self.mining() and not self.active("chain.drop_tx"))
    def chain_reorg_of_a_final_redeem(self) -> None:
        """The redeem button and the blocks that make the redeem final, then a reorg just
        deep enough to take it out (its confirmations assumed no deeper reorg)."""
        self.act(actions.redeem() + actions.wait(1.0) + actions.mine(SETTINGS.confirmations)
                 + actions.wait(0.5))
        depth = self.final_redeem_depth()
        if depth and not self.failed:
            self.act(actions.fault("chain.reorg", self.label("reorg"), depth=depth))
            self.seen = self.seen.forget_redeems()

    def final_redeem_depth(self) -> int:
        """The reorg depth that removes the machine's last final redeem, if the reorg room
        allows it (0 otherwise)."""
        if not self.powered or self.failed:
            return 0
        try:
            outbox = self.m.status()["outbox"]
            final = [t for t in outbox if t["kind"] == "redeem" and t["state"] == "confirmed"]
            if not final:
                return 0
            block = self.m.chain.w3.eth.get_transaction_receipt(final[-1]["hash"])["blockNumber"]
            depth = self.m.chain.block_number - block + 1
        except Exception:  # the firmware or the node is not answering now: no reorg
            return 0
        return depth if 1 <= depth <= min(self.reorg_room(), 6) else 0

    @rule(roll=ROLL)
    @fault_rule("chain", lambda self: self.powered and not self.active("chain.drop_tx")
                and self.paid_taps() > 0)
    def chain_drop_redeem(self) -> None:
        self.act(actions.drop_redeem(self.label("drop")))

    @rule(phone=phones, product=products, roll=ROLL)
    @fault_rule("chain", lambda self: not self.active("chain.hold_mining"))
    def chain_hold_mining(self, phone: int, product: int) -> None:
        """Blocks stop coming (the machine's transactions wait in the pool), then a
        purchase; customer transactions wait for the heal."""
        self.act(actions.fault("chain.hold_mining", self.label("hold"))
                 + self.purchase(phone, product))

    def mining(self) -> bool:
        """Customer transactions wait for their receipt: not while mining is held."""
        return self.run is not None and not self.active("chain.hold_mining")

    @rule(event=st.sampled_from(actions.CHAIN_EVENTS), phone=phones, product=products,
          roll=ROLL)
    @fault_rule("chain")
    def chain_event(self, event: tuple[str, dict[str, Any]], phone: int, product: int) -> None:
        """The node restarts, time jumps, or blocks are mined (confirmations, reorg room);
        then a purchase."""
        kind, params = event
        if kind == "chain.node_restart":
            assert self.run is not None
            self.run.world.dirty = True      # its snapshots are gone: reload at reset
        steps = actions.mine(**params) if kind == "mine" else \
            actions.fault(kind, self.label(kind.split(".")[1]), **params)
        self.act(steps + self.purchase(phone, product))
        if kind == "chain.node_restart" and not self.failed:
            # anvil cannot reorg below a restart: the loaded state has no parent states to
            # rebuild from, and a reorg into them wipes the chain (contracts included).
            with self.guard():
                self.protected_block = self.m.chain.block_number

    # ------------------------------------------------------------------ healing
    @rule(which=pick)
    @live(lambda self: bool(self.healable()))
    def heal_fault(self, which: int) -> None:
        """Heal one active network, chain, sensor, brew-board or phone fault (power comes
        back with power_on)."""
        faults = self.healable()
        self.act(actions.heal(faults[which % len(faults)]))

    def healable(self) -> list[str]:
        return [n for prefix in actions.HEALABLE for n, _ in self.active(prefix)]

    # ------------------------------------------------------------------ customer
    @rule(amount=st.sampled_from(actions.TOP_UPS), phone=phones, product=products)
    @live(lambda self: self.channel == ChannelState.OPEN and self.mining())
    def customer_top_up(self, amount: int, phone: int, product: int) -> None:
        self.act(actions.top_up(amount) + self.purchase(phone, product))
        self.seen = replace(self.seen, deposit=self.seen.deposit + amount)
        self.customer_did()

    @rule(via=st.sampled_from(("channel", "rental")))
    @live(lambda self: self.channel == ChannelState.OPEN and self.mining())
    def customer_close(self, via: str) -> None:
        self.act(actions.close(via))
        self.channel = ChannelState.CLOSING
        self.customer_did()

    @rule()
    @live(lambda self: self.channel == ChannelState.CLOSING and self.powered
          and self.mining())
    def customer_settle(self) -> None:
        """After the challenge period the customer settles. The period is an hour the
        machine lives through: before time is warped past the deadline it gets its sync
        rounds in real time, to see the close and redeem (``await_close_seen``)."""
        self.await_close_seen(CLOSE_WINDOW)
        self.act(actions.settle())
        self.channel = ChannelState.SETTLED
        self.customer_did()

    def await_close_seen(self, seconds: float) -> None:
        """Poll until the machine has seen the close and has nothing left to redeem, it
        stops answering (off, or a power fault came), or ``seconds`` pass (offline, it cannot
        redeem: the oracle judges that against the close window). Blocks keep coming, one
        every ``CLOSE_BLOCK_EVERY`` s, as on a chain that is not this rig's automining node:
        the window stands for an hour, and a redeem needs its confirmations before the
        machine sends the next (finding 23). The time spent goes into the schedule as a
        wait that mines as often."""
        assert self.run is not None
        began = mined = time.monotonic()
        while self.powered and time.monotonic() - began < seconds:
            if time.monotonic() - mined >= CLOSE_BLOCK_EVERY:
                self.m.mine()
                mined = time.monotonic()
            try:
                s = self.m.control.request("status", timeout=1.0)
            except ControlError:
                break
            view, latest = s["view"], (s.get("latest") or {}).get("cumulative", 0)
            # What is redeemed is read from the chain, not from the machine's view: right
            # after a reorg took its redeem away the view is a round old (finding 26).
            paid = channel_state(self.m.platform, self.m.rental.channel_id).redeemed
            if view["status"] == int(ChannelState.CLOSING) and paid >= latest \
                    and not s["open_tx"]:
                break
            time.sleep(POLL)
        self.run.record_wait(time.monotonic() - began, mine_every=CLOSE_BLOCK_EVERY)

    @rule(phone=phones, other=products)
    @live(lambda self: not self.revoked and self.powered and self.mining()
          and not self.active("net."))
    def customer_revokes_a_phone(self, phone: int, other: int) -> None:
        """The customer revokes a phone while the machine is online: it must refuse that
        phone from its next sync and redeem the phone's receipt inside the revocation's
        challenge period (a revocation that takes effect while the machine is offline can
        cost the receipt; docs/oracle.md, "Revoked signers"). The other phone buys next."""
        self.act(actions.revoke_signer(phone)
                 + self.purchase(phone, other) + self.purchase(3 - phone, other))
        self.revoked = True
        self.customer_did()

    # ------------------------------------------------------------------ devices
    @rule(choice=st.sampled_from(actions.SENSOR_FAULTS), phone=phones, product=products,
          roll=ROLL)
    @fault_rule("i2c")
    def sensor_fault(self, choice: tuple[str, dict[str, Any]], phone: int, product: int
                     ) -> None:
        """A sensor-board fault, then a purchase (refused while brewing is unsafe)."""
        kind, params = choice
        same = [n for n, k, p in self.active_params("i2c.")
                if k == kind and p["device"] == params["device"]]
        self.act(self.refire(kind, params, "i2c", same) + self.purchase(phone, product))

    @rule(choice=st.sampled_from(actions.BOARD_FAULTS), phone=phones, product=products,
          roll=ROLL)
    @fault_rule("serial", lambda self: self.powered)
    def brew_board_fault(self, choice: tuple[str, dict[str, Any]], phone: int,
                         product: int) -> None:
        """A brew-board fault, then a purchase that meets it."""
        kind, params = choice
        same = [n for n, k in self.active("serial.") if k == kind]
        self.act(self.refire(kind, params, "board", same) + actions.tap(phone, product))

    @rule(choice=st.sampled_from(actions.PHONE_FAULTS), phone=phones, product=products,
          roll=ROLL)
    @fault_rule("nfc", lambda self: self.powered)
    def phone_misbehaves(self, choice: tuple[str, dict[str, Any]], phone: int,
                         product: int) -> None:
        """One misbehaviour per phone at a time (a new one replaces it), then that phone
        taps."""
        kind, params = choice
        same = [n for n, _, p in self.active_params("nfc.") if p["phone"] == phone]
        self.act(self.refire(kind, {**params, "phone": phone}, "phone", same)
                 + actions.tap(phone, product))

    # ------------------------------------------------------------------ the SD card
    @rule(phone=phones, product=products, roll=ROLL)
    @fault_rule("storage", lambda self: self.powered)
    def storage_full(self, phone: int, product: int) -> None:
        self.act(actions.storage_full_tap(self.label("full"), phone, product))

    @rule(phone=phones, product=products, roll=ROLL)
    @fault_rule("storage", lambda self: self.powered and not self.active("machine."))
    def old_backup(self, phone: int, product: int) -> None:
        """The first time the operator copies the SD card; later that old copy is put back
        (the machine has forgotten what it acknowledged since). Only while the machine owes
        no credit, then and now: a card restored over a credit spent since would grant it
        again, and one restored over a credit granted since would forget it (finding 15)."""
        if not self.owes_no_credit():
            self.act(self.purchase(phone, product))
        elif not self.backed_up:
            self.act(actions.backup(BACKUP) + self.purchase(phone, product))
            self.backed_up = not self.failed
        else:
            self.act(actions.restore_backup(self.label("restore"), BACKUP,
                                            self.newest_signer()))

    def owes_no_credit(self) -> bool:
        try:
            return self.m.status()["credits"] == 0
        except Exception:  # the firmware is not answering now: no backup or restore
            return False

    def newest_signer(self) -> int:
        """The phone holding the newest receipt of the channel. It taps first after a
        restore: its GET LAST RECEIPT tells the machine the cumulative it forgot. (Another
        phone first is sold coffee below that cumulative, receipts worth nothing until the
        newest phone taps: a known limit of one channel shared by several phones,
        docs/property-testing.md, finding 15; the rule explores the recovery, not the limit.)"""
        tops = [max((r.sequence for r in p.wallet.receipts()), default=-1)
                for p in self.m.phones]
        return 1 + tops.index(max(tops))

    # ------------------------------------------------------------------ invariants
    @invariant()
    def firmware_runs_unless_cut(self) -> None:
        """The firmware process only stops when a power fault cut it."""
        if self.run is None or self.run.ctx is None or self.powered or self.failed:
            return
        with self.guard():
            if not self.active("power.") and \
                    not checks.cut_since_power_on(self.run.ctx.timeline.entries):
                raise StepInvariantError(
                    "the firmware process stopped with no power fault active (it crashed or "
                    f"exited); console tail:\n{self.console_tail()}")

    @invariant()
    def chain_state_monotonic(self) -> None:
        """Redeemed cumulative, sequence and status never go back (a reorg excepted)."""
        if self.run is None or self.run.machine is None or self.failed:
            return
        with self.guard():
            now = channel_state(self.m.platform, self.m.rental.channel_id)
            back = checks.went_back(self.seen, now)
            if back:
                raise StepInvariantError(f"on-chain channel state went back without a reorg: "
                                         f"{', '.join(back)}")
            self.seen = self.seen.after(now)

    @invariant()
    def offline_bound(self) -> None:
        """The machine's latest receipt never exceeds what was ever deposited on-chain (the
        most it can have seen)."""
        if not self.powered or self.failed:
            return
        with self.guard():
            try:
                status = self.m.control.request("status", timeout=3.0)
            except ControlError:
                return               # booting, or the power went meanwhile: nothing to read
            wrong = checks.above_deposit(status, self.seen.deposit)
            if wrong:
                raise StepInvariantError(wrong)

    @invariant()
    def each_brew_dispensed_once(self) -> None:
        if self.run is None or self.run.machine is None or self.failed:
            return
        with self.guard():
            twice = checks.dispensed_twice(d.brew_id for d in self.m.board.dispenses.records())
            if twice:
                raise StepInvariantError(f"the brew board dispensed brew id(s) {twice} more "
                                         "than once")

    # ------------------------------------------------------------------ end
    def console_tail(self, lines: int = 15) -> str:
        if self.run is None or self.run.machine is None:
            return "(no machine)"
        path = self.m.workdir / "console.jsonl"
        if not path.exists():
            return "(no console log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    @classmethod
    def keep_only(cls, workdir: Path) -> None:
        """Shrinking fails many examples; only the last (the one reported) keeps its files."""
        if cls.kept is not None and cls.kept != workdir:
            shutil.rmtree(cls.kept, ignore_errors=True)
        cls.kept = workdir

    def teardown(self) -> None:
        """Heal, final sync, full oracle; always stop the machine and put the chain back.

        A failing example (a step raised, a step invariant or the oracle failed) is written
        as a scenario file; the last one written is the shrunk example Hypothesis reports."""
        run = self.run
        if run is None:
            return
        outcome, message, summary = "error", self.failed, self.failed.split("\n", 1)[0]
        try:
            if not self.failed:
                try:
                    report = run.finish()
                except Exception as e:
                    summary = (f"the final phase or the oracle could not run: "
                               f"{type(e).__name__}: {e}")
                    message = f"{summary}\n{traceback.format_exc()}"
                    if self.strict:
                        raise
                else:
                    outcome = "passed" if report.ok else "violated"
                    message = "" if report.ok else report.render_text()
                    summary = report.summary()
                    if run.no_progress:
                        outcome, summary = "no-progress", run.no_progress
                        message = f"{run.no_progress}\n\n{message}"
        finally:
            written = ""
            if outcome != "passed":
                if run.steps:  # a machine that could not even be built has nothing to replay
                    written = str(run.write(description=f"{outcome}: {summary}"))
                print(f"{outcome}: {self.profile.describe()}\n"
                      f"schedule written to "
                      f"{written or '(none: it failed before its first step)'}\n"
                      f"replay: {run.replay}\n"
                      f"files (logs, SD card): {run.workdir}\n"
                      f"{message}\nconsole tail:\n{self.console_tail()}", file=sys.stderr)
            run.close(keep=outcome != "passed")
            if outcome != "passed":
                self.keep_only(run.workdir)
            self.records.append(ExampleRecord(run.name, run.run_seed, self.rules_run,
                                              len(run.steps), outcome, self.profile.doc(),
                                              summary, message, dict(run.timings), written,
                                              list(run.steps), list(run.reached)))
        if outcome in ("violated", "no-progress") and self.strict:
            raise OracleViolation(f"{summary}\nschedule: {written}\nreplay: {run.replay}\n\n"
                                  f"{message}")
