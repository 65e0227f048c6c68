"""The scenario suite: every file loads, and together they use every fault kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.faults import kinds
from rig.scenario import ScenarioError, load_scenario, parse_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def _fault_kinds(steps) -> set[str]:
    found = set()
    for s in steps:
        if s.kind == "fault":
            found.add(s.args["kind"])
        found |= _fault_kinds(s.children)
    return found


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_file_loads(path):
    sc = load_scenario(path)
    assert sc.name and sc.description and sc.steps


def test_suite_has_twenty_scenarios_using_every_fault_kind():
    assert len(SCENARIOS) >= 20
    used = set().union(*(_fault_kinds(load_scenario(p).steps) for p in SCENARIOS))
    assert set(kinds()) - used == set(), "fault kinds no scenario uses"


@pytest.mark.parametrize(("doc", "message"), [
    ([], "a scenario is a mapping"),
    ({"name": "x"}, "'steps' must be a non-empty list"),
    ({"name": "x", "steps": ["boot"], "extra": 1}, "unknown top-level keys"),
    ({"name": "x", "steps": ["fly"]}, r"steps\[0\]: unknown step 'fly'"),
    ({"name": "x", "steps": [{"tap": {"phone": "one"}}]}, "argument 'phone' must be int"),
    ({"name": "x", "steps": [{"tap": {"colour": 1}}]}, "unknown argument"),
    ({"name": "x", "steps": [{"fault": {"kind": "power.nope"}}]}, "unknown fault kind"),
    ({"name": "x", "steps": [{"fault": {"kind": "power.cut", "after_seconds": "soon"}}]},
     "after_seconds"),
    ({"name": "x", "steps": [{"serial": [{"tap": {"bogus": 1}}]}]},
     r"steps\[0\] serial\[0\] tap: unknown argument"),
    ({"name": "x", "settings": {"phones": 0}, "steps": ["boot"]}, "phones must be at least 1"),
    ({"name": "x", "settings": {"speed": 3}, "steps": ["boot"]}, "unknown keys"),
    ({"name": "x", "steps": [{"repeat": {"steps": ["boot"]}}]}, "needs 'times'"),
    ({"name": "x", "steps": ["boot"], "expect": ["INV-2"]}, "'expect' must map invariant ids"),
    ({"name": "x", "steps": ["boot"], "expect": {"INV-99": "ok"}},
     r"expect: unknown invariant 'INV-99'; known: INV-1, INV-2"),
    ({"name": "x", "steps": ["boot"], "expect": {"INV-2": "fail"}},
     r"expect\.INV-2: 'fail' is not an expectable outcome; allowed: ok"),
    ({"name": "x", "steps": ["boot"], "expect": {"INV-2": True}}, "not an expectable"),
])
def test_bad_scenario_says_where_and_what(doc, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(doc, Path("scenarios/bad.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_declares_what_it_exists_to_prove(path):
    assert load_scenario(path).expect, f"{path.name}: no 'expect:' (docs/scenarios.md)"


def test_expectations_are_checked_against_the_oracles_registry(monkeypatch):
    """An invariant the oracle registers is expectable without touching the loader."""
    from rig.oracle import registry

    doc = {"name": "x", "steps": ["boot"], "expect": {"INV-77": "ok"}}
    with pytest.raises(ScenarioError, match="unknown invariant 'INV-77'"):
        parse_scenario(doc)
    monkeypatch.setitem(registry._CATALOG, "INV-77",
                        registry.Invariant("INV-77", "test only", lambda f: None))
    assert parse_scenario(doc).expect == {"INV-77": "ok"}


def test_a_property_schedule_may_carry_no_expectation():
    from rig.scenario.model import Settings
    from tests.property.rig_schedule import scenario_doc

    assert parse_scenario(scenario_doc("stateful-1", Settings(), [("boot", {})])).expect == {}


def test_bad_yaml_names_the_file(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML"):
        load_scenario(bad)
