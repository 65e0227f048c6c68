"""Every registered fault kind builds from its defaults and rejects bad parameters clearly.

Catalog-wide: whatever family a kind belongs to, a scenario author who mistypes a
parameter's name or type gets a ``FaultError`` naming the kind and the parameter, never a
fault that silently does something else.
"""

from __future__ import annotations

import dataclasses
import types
import typing

import pytest

from rig.faults import Fault, FaultError, catalog, fault_class, kinds, make_fault

CANDIDATES: tuple[object, ...] = ("not-a-value", 1.5, 7, True, ["x"], {"x": 1})


def _accepts(hint: object, value: object) -> bool:
    """Whether a YAML/JSON ``value`` is a legal value for a field typed ``hint``."""
    origin = typing.get_origin(hint)
    allowed = typing.get_args(hint) if origin in (typing.Union, types.UnionType) else (hint,)
    for a in allowed:
        a = typing.get_origin(a) or a
        if a is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if a is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if a is tuple and isinstance(value, list | tuple):
            return True
        if a not in (int, float) and isinstance(a, type) and isinstance(value, a):
            return True
    return False


def _wrong_value(hint: object) -> object:
    return next(v for v in CANDIDATES if not _accepts(hint, v))


def _params(kind: str) -> list[tuple[str, object]]:
    cls = fault_class(kind)
    hints = typing.get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


ALL = kinds()
WITH_PARAMS = [(k, name, hint) for k in ALL for name, hint in _params(k)]


def test_the_catalog_holds_every_family():
    families = {fault_class(k).family for k in ALL}
    assert {"power", "net", "chain", "nfc", "i2c", "serial", "clock", "machine"} <= families


@pytest.mark.parametrize("kind", ALL)
def test_kind_builds_from_its_defaults(kind):
    fault = make_fault(kind)
    assert isinstance(fault, Fault) and fault.kind == kind
    assert set(fault.params()) == {name for name, _ in _params(kind)}


@pytest.mark.parametrize("kind", ALL)
def test_kind_is_named_family_dot_name_and_described(kind):
    cls = fault_class(kind)
    family, _, name = kind.partition(".")
    assert cls.family == family and name, f"{kind}: family {cls.family!r}"
    assert cls.description.strip()


@pytest.mark.parametrize("kind", ALL)
def test_kind_rejects_an_unknown_parameter(kind):
    with pytest.raises(FaultError) as err:
        make_fault(kind, {"no_such_parameter": 1})
    assert kind in str(err.value) and "no_such_parameter" in str(err.value)


@pytest.mark.parametrize(("kind", "name", "hint"), WITH_PARAMS,
                         ids=[f"{k}.{n}" for k, n, _ in WITH_PARAMS])
def test_kind_rejects_a_wrongly_typed_parameter(kind, name, hint):
    wrong = _wrong_value(hint)
    with pytest.raises(FaultError) as err:
        make_fault(kind, {name: wrong})
    assert kind in str(err.value) and repr(name) in str(err.value), str(err.value)


def test_catalog_lists_family_description_and_parameters():
    rows = {row["kind"]: row for row in catalog()}
    assert sorted(rows) == ALL
    for kind, row in rows.items():
        cls = fault_class(kind)
        assert row["family"] == cls.family and row["description"] == cls.description
        for name, _ in _params(kind):
            assert f"{name}:" in row["parameters"], (kind, name, row["parameters"])


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(FaultError) as err:
        make_fault("nfc.teleport")
    assert "unknown fault kind 'nfc.teleport'" in str(err.value)
    assert all(k in str(err.value) for k in ALL)


# Values of the right type that are still wrong: each kind's own validation speaks.
BAD_VALUES = [
    ("power.cut", {"after_seconds": -1.0}, "after_seconds"),
    ("power.cut_at_checkpoint", {"checkpoint": "teatime"}, "unknown checkpoint"),
    ("power.cut_at_write", {"k": 0}, "k must be"),
    ("nfc.pull_away", {"phone": 0}, "1-based"),
    ("nfc.pull_away", {"when": "never"}, "after-select, mid-sign, before-response"),
    ("nfc.slow", {"seconds": 0.0}, "seconds"),
    ("nfc.slow", {"seconds": float("inf")}, "finite"),
    ("nfc.bad_signature", {"mode": "none"}, "wrong-key, corrupted"),
    ("nfc.decline", {"phone": -2}, "phone"),
    ("i2c.nack", {"device": "bme280"}, "tmp102, ina219, status_mcu"),
    ("i2c.missing", {"device": ""}, "device must be one of"),
    ("net.loss", {"percent": 0.0}, "percent must be in (0, 100]"),
    ("net.loss", {"percent": 130.0}, "percent must be in (0, 100]"),
    ("serial.garbage", {"max_lines": 0}, "max_lines"),
    ("serial.garbage", {"direction": "sideways"}, "tx, rx, both"),
    ("serial.garbage", {"mode": "shout"}, "mode"),
    ("serial.lost_reply", {"verb": "HELLO"}, "not a reply verb"),
    ("serial.lost_reply", {"verb": "DONE", "executed": False}, "direct reply verb"),
    ("serial.lost_reply", {"count": 0}, "count"),
    ("serial.timeout", {"seconds": -3.0}, "seconds"),
    ("serial.no_water", {"count": 0}, "count"),
    ("clock.rtc_reset", {"boot_time": -1}, "boot_time"),
    ("machine.restore_backup", {"label": "../../etc"}, "label"),
    ("machine.restore_backup", {"label": ""}, "label"),
]


@pytest.mark.parametrize(("kind", "params", "says"), BAD_VALUES,
                         ids=[f"{k}-{'-'.join(map(str, p.values()))}" for k, p, _ in BAD_VALUES])
def test_bad_values_are_refused_with_what_is_allowed(kind, params, says):
    with pytest.raises(FaultError) as err:
        make_fault(kind, params)
    assert str(err.value).startswith(f"{kind}: ") and says in str(err.value), str(err.value)
