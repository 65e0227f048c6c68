"""Fuzz the scenario loader (rig/scenario/loader.py): ``parse_scenario`` on YAML-like
structures and ``load_scenario`` on file contents.

A scenario file is written by people: whatever it holds, loading gives a ``Scenario`` or a
``ScenarioError`` naming the file and the step, never a TypeError from comparing keys or a
bare error from the YAML layer. Valid documents survive a YAML round trip unchanged.

The regression tests at the end pin the bugs fuzzing found (mixed-type keys, ints too large
for a float or for ``repr``, non-UTF-8 files, nesting deeper than the recursion limit).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rig.faults import kinds as fault_kinds
from rig.faults.registry import fault_class
from rig.scenario import ScenarioError, load_scenario, parse_scenario
from tests.fuzz.mutations import NASTY_TEXT, huge_ints, mutated_text
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
SEED_TEXTS = sorted(p.read_text() for p in SCENARIO_DIR.glob("*.yaml"))

scalars = st.one_of(st.none(), st.booleans(), huge_ints(300),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(NASTY_TEXT))
yamlish = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=10), inner, max_size=4),
        st.dictionaries(huge_ints(70), inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=6), huge_ints(70)), inner, max_size=4),
    ),
    max_leaves=16,
)

ARG_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "int": huge_ints(80), "float": st.floats(-1e6, 1e6) | huge_ints(60),
    "bool": st.booleans(), "str": st.text(max_size=12) | st.sampled_from(NASTY_TEXT),
}
STEP_ARGS: dict[str, dict[str, str]] = {
    "tap": {"phone": "int", "product": "int", "expect": "str"},
    "coffees": {"count": "int", "expect": "str"},
    "wait": {"seconds": "float", "synced": "bool", "idle": "bool"},
    "warp": {"seconds": "int", "hours": "float", "days": "float"},
    "mine": {"blocks": "int"}, "boot": {"synced": "bool"}, "shutdown": {},
    "backup": {"label": "str"}, "top_up": {"amount": "int"}, "close": {"via": "str"},
    "settle": {"warp": "bool"}, "redeem": {}, "heal": {"kind": "str", "name": "str"},
    "assert": {"credits": "int", "dispensed": "int", "online": "bool", "signed": "int"},
}


def _fault_params(kind: str) -> dict[str, str]:
    out = {}
    for f in dataclasses.fields(fault_class(kind)):
        text = str(f.type)
        out[f.name] = next((k for k in ("bool", "int", "float", "str") if k in text), "str")
    return out


FAULT_PARAMS = {kind: _fault_params(kind) for kind in fault_kinds()}


@st.composite
def args_for(draw: st.DrawFn, schema: dict[str, str]) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(schema)), unique=True)) if schema else []
    return {n: draw(ARG_VALUES[schema[n]] if draw(st.integers(0, 5)) else yamlish)
            for n in names}


@st.composite
def steps(draw: st.DrawFn, depth: int = 0) -> Any:
    kind = draw(st.sampled_from([*STEP_ARGS, "fault", "serial", "parallel", "repeat"]))
    if kind in ("serial", "parallel", "repeat") and depth >= 2:
        kind = "boot"
    if kind in ("serial", "parallel"):
        return {kind: draw(st.lists(steps(depth + 1), min_size=1, max_size=3))}
    if kind == "repeat":
        return {kind: {"times": draw(huge_ints(40)),
                       "steps": draw(st.lists(steps(depth + 1), min_size=1, max_size=3))}}
    if kind == "fault":
        fault = draw(st.sampled_from(sorted(FAULT_PARAMS)))
        return {kind: {"kind": fault, **draw(args_for(FAULT_PARAMS[fault]))}}
    args = draw(args_for(STEP_ARGS[kind]))
    return kind if not args and draw(st.booleans()) else {kind: args or None}


settings_docs = st.fixed_dictionaries({}, optional={
    "profile": st.text(max_size=8), "phones": huge_ints(40), "deposit": huge_ints(80),
    "prices": st.dictionaries(huge_ints(20), huge_ints(80), max_size=3),
    "redeem_interval": st.floats() | huge_ints(60), "sync_interval": st.floats(0.01, 5),
    "confirmations": st.integers(-2, 12), "challenge_period": huge_ints(40),
})
scenario_docs = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=20) | st.sampled_from(NASTY_TEXT),
     "steps": st.lists(steps(), min_size=1, max_size=6)},
    optional={"description": st.text(max_size=40), "settings": settings_docs,
              "tags": st.lists(st.text(max_size=8), max_size=3)})


@st.composite
def damaged_docs(draw: st.DrawFn) -> Any:
    """A plausible scenario with one container damaged: a value swapped for anything, an
    unknown key added, a key dropped or a step duplicated."""
    doc = draw(scenario_docs)
    containers: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict | list):
            containers.append(node)
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(doc)
    target = draw(st.sampled_from(containers))
    op = draw(st.sampled_from(("replace", "add", "drop", "duplicate")))
    if isinstance(target, dict):
        keys = list(target)
        if op == "add":
            key_type = type(keys[0]) if keys else str
            new_key = draw(st.text(max_size=8) if key_type is str else huge_ints(20))
            target[new_key] = draw(yamlish)
        elif keys and op == "drop":
            del target[draw(st.sampled_from(keys))]
        elif keys:
            target[draw(st.sampled_from(keys))] = draw(yamlish)
    elif target:
        i = draw(st.integers(0, len(target) - 1))
        if op == "drop":
            del target[i]
        elif op == "duplicate":
            target.insert(i, target[i])
        else:
            target[i] = draw(yamlish)
    return doc


@fuzz()
@given(yamlish)
def test_any_structure_gives_a_scenario_or_a_scenario_error(doc: Any) -> None:
    run_parser(parse_scenario, ScenarioError, doc)


@fuzz(weight=2)
@given(st.one_of(scenario_docs, damaged_docs()))
def test_plausible_scenarios_load_or_name_what_is_wrong(doc: dict) -> None:
    out = run_parser(parse_scenario, ScenarioError, doc)
    if out.accepted:
        assert out.value.name == doc["name"].strip()
        assert len(out.value.steps) == len(doc["steps"])
    else:
        assert str(out.error).startswith("<scenario>")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-scenario") / "fuzzed.yaml"


texts = st.one_of(
    mutated_text(st.sampled_from(SEED_TEXTS)),
    scenario_docs.map(lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)).flatmap(
        lambda t: mutated_text(st.just(t))),
    st.text(max_size=200),
)


@fuzz()
@given(text=texts)
def test_any_utf8_file_gives_a_scenario_or_a_scenario_error(scenario_file: Path,
                                                            text: str) -> None:
    scenario_file.write_bytes(text.encode("utf-8"))
    out = run_parser(load_scenario, ScenarioError, scenario_file)
    if not out.accepted:
        assert str(scenario_file) in str(out.error)


@fuzz()
@given(doc=scenario_docs)
def test_a_valid_scenario_survives_a_yaml_round_trip(scenario_file: Path, doc: dict) -> None:
    direct = run_parser(parse_scenario, ScenarioError, doc, scenario_file)
    # Escaped non-ASCII: PyYAML's emitter writes U+0085/U+2028 raw, which YAML then folds.
    scenario_file.write_text(yaml.safe_dump(doc, allow_unicode=False, sort_keys=False))
    loaded = run_parser(load_scenario, ScenarioError, scenario_file)
    assert loaded.accepted == direct.accepted
    if direct.accepted:
        assert _comparable(loaded.value) == _comparable(direct.value)


def _comparable(value: Any) -> Any:
    """NaN != NaN: compare the repr of a scenario, which is exact for floats."""
    return repr(value)


# -- open bugs, each with its minimal input -------------------------------------------------

@contextmanager
def recursion_headroom(frames: int) -> Iterator[None]:
    """Lower the recursion limit to ``frames`` above the current depth (py_ecc raises it to
    100,000 on import, which turns deep nesting into a long stall instead of an error)."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_mixed_type_unknown_top_level_keys_are_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        parse_scenario({0: None, "": None})


def test_mixed_type_unknown_settings_keys_are_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        parse_scenario({"name": "x", "steps": ["boot"], "settings": {0: None, "": None}})


def test_mixed_type_unknown_step_arguments_are_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        parse_scenario({"name": "x", "steps": [{"boot": {0: None, "": None}}]})


def test_a_fault_parameter_too_large_for_a_float_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        parse_scenario({"name": "x", "steps": [{"fault": {"kind": "nfc.slow",
                                                          "seconds": 2**1024}}]})


def test_a_non_utf8_file_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\x80")
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_an_integer_too_long_to_parse_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text("1" * 4301)
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_a_step_that_is_a_huge_hex_integer_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "hex.yaml"
    path.write_text("name: x\nsteps: [0x" + "f" * 3600 + "]\n")
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_nesting_deeper_than_the_recursion_limit_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 300 + "]" * 300)
    with recursion_headroom(200), pytest.raises(ScenarioError):
        load_scenario(path)
