"""The oracle's online rule follows what faults and steps declare, not their names.

Every fault kind and every step kind declares its effects (rig/effects.py); the oracle reads
the declarations, so a kind it has never seen is judged by what it says it does, and one it
cannot look up is refused with a HistoryError instead of being taken as harmless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import rig.faults.registry as registry
from rig.effects import Effect
from rig.faults import Fault, fault_class, kinds
from rig.faults.context import FaultContext
from rig.history import TimelineEntry
from rig.oracle import HistoryError, check
from rig.oracle.online import Connectivity
from rig.scenario.steps import step_kinds
from rig.scenario.steps.registry import step_effects
from tests.unit.test_oracle import PHONE_A, T0, _closed_without_latest, _step, base, failing
from tests.unit.timeline_vocabulary import actions_of, fault_entry, step_entry


# ---------------------------------------------------------------------- every kind declares
def _declared_by(cls: type, name: str) -> type | None:
    """The class of ``cls``'s MRO (below Fault) that sets ``name``, or None."""
    return next((c for c in cls.__mro__ if c is not Fault and name in vars(c)), None)


@pytest.mark.parametrize("kind", kinds())
def test_every_fault_kind_declares_its_effects(kind):
    cls = fault_class(kind)
    assert _declared_by(cls, "effects") is not None, (
        f"{kind} declares no effects: set `effects = frozenset({{...}})` on "
        f"{cls.__name__} (frozenset() for none)")
    assert isinstance(cls.effects, frozenset)
    assert all(isinstance(e, Effect) for e in cls.effects), cls.effects
    for name in ("begins_on", "ends_on", "notes"):
        value = getattr(cls, name)
        assert isinstance(value, frozenset) and all(isinstance(a, str) for a in value)
    assert cls.effects_of(make_params(kind)) <= cls.effects


def make_params(kind: str) -> dict:
    from rig.faults import make_fault

    return make_fault(kind).params()


RECORDED = re.compile(r'timeline\.record\(\s*[^,]+,\s*self\.kind,\s*"([a-z-]+)"')


@pytest.mark.parametrize("kind", kinds())
def test_every_timeline_action_a_fault_records_is_declared(kind):
    """A new action (``cut``, ``dropped``...) must say whether it begins or ends an effect."""
    import inspect

    cls = fault_class(kind)
    recorded = set()
    for c in cls.__mro__:
        if c is Fault or not issubclass(c, Fault):
            continue
        recorded |= set(RECORDED.findall(Path(inspect.getfile(c)).read_text()))
    undeclared = recorded - actions_of(cls)
    assert not undeclared, (f"{kind} records {sorted(undeclared)} on the timeline without "
                            "declaring them in begins_on, ends_on or notes")


@pytest.mark.parametrize("kind", step_kinds())
def test_every_step_kind_declares_its_effects(kind):
    declared = step_effects(kind)
    assert declared is not None, (f"step {kind!r} declares no effects: give its @step "
                                  "begins=... and ends=... (NONE for none)")
    assert all(isinstance(e, Effect) for part in declared for e in part)


def test_the_power_and_time_steps_declare_what_they_do():
    assert step_effects("boot") == (frozenset(), frozenset({Effect.CUTS_POWER}))
    assert step_effects("shutdown") == (frozenset({Effect.CUTS_POWER}), frozenset())
    assert Effect.MOVES_CHAIN_TIME in step_effects("warp")[0]
    assert Effect.REQUESTS_CLOSE in step_effects("close")[0]
    assert Effect.SETTLES_CHANNEL in step_effects("settle")[0]


# ---------------------------------------------------------------------- a kind never seen
def _register(monkeypatch, kind: str, effects: frozenset[Effect]) -> type[Fault]:
    @dataclass
    class Invented(Fault):
        family = kind.split(".")[0]
        description = "a fault the oracle has never heard of"

        def fire(self, ctx: FaultContext) -> None:
            pass

    Invented.kind = kind
    Invented.effects = effects
    monkeypatch.setitem(registry._CATALOG, kind, Invented)
    return Invented


def _satellite_outage(kind: str) -> list[TimelineEntry]:
    return [TimelineEntry(10, kind, "fire", {}, None), TimelineEntry(14, kind, "heal", {}, None)]


def test_the_online_rule_follows_a_new_fault_declared_to_cut_the_uplink(monkeypatch):
    _register(monkeypatch, "sat.link_loss", frozenset({Effect.CUTS_UPLINK}))
    c = Connectivity.from_timeline(_satellite_outage("sat.link_loss"))
    assert c.online_periods(0, 20) == [(0, 10), (14, 20)]


def test_the_same_new_fault_declared_device_only_leaves_the_machine_online(monkeypatch):
    _register(monkeypatch, "sat.link_loss", frozenset({Effect.DEVICE_ONLY}))
    c = Connectivity.from_timeline(_satellite_outage("sat.link_loss"))
    assert c.online_periods(0, 20) == [(0, 20)]


def test_a_close_settled_during_a_new_uplink_fault_gets_the_offline_exemption(monkeypatch):
    _register(monkeypatch, "sat.link_loss", frozenset({Effect.CUTS_UPLINK}))
    h = base()
    h.timeline += [TimelineEntry(T0 + 29, "sat.link_loss", "fire", {}, None),
                   TimelineEntry(T0 + 41, "sat.link_loss", "heal", {}, None)]
    report = check(_closed_without_latest(h))
    assert report.ok, report.render_text()
    assert {v.id: v.outcome for v in report.verdicts}["INV-7"] == "info"


def test_a_new_fault_declared_to_cut_power_arms_and_cuts_as_it_declares(monkeypatch):
    cls = _register(monkeypatch, "power.brownout", frozenset({Effect.CUTS_POWER}))
    cls.begins_on, cls.ends_on = frozenset({"sagged"}), frozenset({"heal"})
    timeline = [TimelineEntry(at, "power.brownout", action, {}, None)
                for at, action in ((10, "fire"), (12, "sagged"), (15, "heal"))]
    assert Connectivity.from_timeline(timeline).online_periods(0, 20) == [(0, 12), (15, 20)]


# ---------------------------------------------------------------------- nothing unknown
def test_a_fault_kind_the_catalog_does_not_know_is_refused_not_ignored():
    h = base()
    h.timeline.append(TimelineEntry(T0 + 5, "net.carrier_pigeon", "fire", {}, None))
    with pytest.raises(HistoryError, match=r"'net\.carrier_pigeon' fired, but the fault catalog"):
        check(h)


def test_a_step_the_runner_does_not_have_is_refused():
    h = base()
    h.timeline.append(TimelineEntry(T0 + 5, "power_off", "step", {}, None))
    with pytest.raises(HistoryError, match="'power_off' is not a scenario step kind"):
        check(h)


def test_a_fault_kind_without_a_declaration_is_refused(monkeypatch):
    @dataclass
    class Undeclared(Fault):
        kind = "net.undeclared"
        family = "net"
        description = "declares nothing"

    monkeypatch.setitem(registry._CATALOG, "net.undeclared", Undeclared)
    h = base()
    h.timeline.append(TimelineEntry(T0 + 5, "net.undeclared", "fire", {}, None))
    with pytest.raises(HistoryError, match="declares no effects"):
        check(h)


def test_runner_notes_that_are_neither_faults_nor_steps_change_nothing():
    timeline = [TimelineEntry(5, "expectation", "fail", {}, None),
                TimelineEntry(6, "tap", "interrupted", {}, None),
                TimelineEntry(7, "final", "incomplete", {"waiting_for": "synced"}, None)]
    assert Connectivity.from_timeline(timeline).online_periods(0, 10) == [(0, 10)]


def test_a_history_written_with_step_kind_entries_still_loads():
    """Before the runner recorded steps under their own kind, hand-made histories wrote
    ``kind: step`` with the name in ``params``; those still read the same."""
    legacy = [TimelineEntry(5, "step", "step", {"step": "shutdown"}, None),
              TimelineEntry(8, "step", "step", {"name": "boot"}, None)]
    assert Connectivity.from_timeline(legacy).online_periods(0, 10) == [(0, 5), (8, 10)]


# ---------------------------------------------------------------------- power cycles
@pytest.mark.parametrize(("kind", "back", "params"), [
    ("clock.rtc_reset", "clock-set", {}),
    ("machine.restore_backup", "restored", {}),
    ("i2c.missing", "booted", {"at_boot": True}),
])
def test_a_fault_that_power_cycles_the_pi_is_off_until_it_is_back(kind, back, params):
    timeline = [fault_entry(10, kind, "fire", **params), fault_entry(12, kind, back, **params)]
    assert Connectivity.from_timeline(timeline).online_periods(0, 20) == [(0, 10), (12, 20)]


def test_a_chip_missing_without_a_reboot_keeps_the_machine_online():
    timeline = [fault_entry(10, "i2c.missing", "fire", at_boot=False),
                fault_entry(12, "i2c.missing", "heal", at_boot=False)]
    assert Connectivity.from_timeline(timeline).online_periods(0, 20) == [(0, 20)]


def test_a_node_restart_is_offline_until_the_node_is_back():
    timeline = [fault_entry(10, "chain.node_restart", "fire"),
                fault_entry(13, "chain.node_restart", "restarted")]
    assert Connectivity.from_timeline(timeline).online_periods(0, 20) == [(0, 10), (13, 20)]


def test_a_node_refusing_the_machines_transactions_is_offline():
    h = base()
    _step(h, T0 + 25, "boot")
    h.timeline += [fault_entry(T0 + 29, "chain.gas_limit_squeeze", "fire"),
                   fault_entry(T0 + 41, "chain.gas_limit_squeeze", "heal")]
    report = check(_closed_without_latest(h))
    assert report.ok and not failing(report), report.render_text()


def test_step_entries_come_from_the_step_registry():
    with pytest.raises(AssertionError, match="not a step the runner records"):
        step_entry(1, "power_on")
    with pytest.raises(AssertionError, match="records no 'explode'"):
        fault_entry(1, "power.cut", "explode")
    assert PHONE_A
