"""Fuzz the machine's config loader (firmware/config.py).

The config is read once at boot; a bad file must stop the boot with a ``ConfigError`` naming
the file and the key, whatever the bytes are. A valid config round-trips: every value the
file holds is the value the firmware runs with.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.config import DEFECTS, ConfigError, MachineConfig, load_config
from tests.fuzz.mutations import NASTY_TEXT, huge_ints, mutated, mutated_text
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz

PAYMENTS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
RENTAL = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"


def toml_value(value: Any) -> str:
    """TOML for the value types a config uses (an independent writer: no tomli_w here)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("-inf" if value < 0 else "inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_string(text: str) -> str:
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def render(doc: dict[str, Any]) -> str:
    lines = [f"{toml_string(k)} = {toml_value(v)}" for k, v in doc.items()
             if not isinstance(v, dict)]
    for name, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"[{toml_string(name)}]")
            lines += [f"{toml_string(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


hex_bytes = st.integers(1, 2**256 - 1).map(lambda n: f"0x{n:064x}")
addresses = st.sampled_from([PAYMENTS, RENTAL, RENTAL.upper().replace("0X", "0x")])
positive_float = st.floats(0.001, 1e6)
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=16)

config_docs = st.fixed_dictionaries({
    "machine": st.fixed_dictionaries({"key": hex_bytes, "data_dir": names}),
    "chain": st.fixed_dictionaries(
        {"rpc_url": names, "chain_id": st.integers(0, 2**64), "payment_provider": addresses,
         "rental_provider": addresses, "channel_id": hex_bytes,
         "rental_id": st.integers(0, 2**64)},
        optional={"confirmations": st.integers(0, 64), "sync_interval": positive_float,
                  "redeem_threshold": st.integers(0, 2**128), "redeem_interval": positive_float,
                  "rpc_timeout": positive_float}),
    "prices": st.dictionaries(st.integers(0, 0xFFFF).map(str), st.integers(1, 2**128),
                              min_size=1, max_size=4),
    "nfc": st.fixed_dictionaries({"device": names}, optional={"poll_timeout": positive_float}),
    "brew": st.fixed_dictionaries({"port": names}, optional={"timeout": positive_float}),
    "sensors": st.fixed_dictionaries({"bus": st.integers(0, 16) | names},
                                     optional={"interval": positive_float}),
}, optional={
    "test": st.fixed_dictionaries({"control": names},
                                  optional={"hold": st.lists(names, max_size=3)}),
})
toml_scalars = st.one_of(st.booleans(), huge_ints(1100), st.floats(), names,
                         st.sampled_from(NASTY_TEXT))
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(names, inner, max_size=3), max_leaves=8)


@st.composite
def damaged_docs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid config with one thing wrong: a value swapped, a key dropped or added, a
    section added, or defects switched on."""
    doc = draw(config_docs)
    op = draw(st.sampled_from(("replace", "drop", "add", "section", "defects")))
    table = doc[draw(st.sampled_from(sorted(doc)))]
    if op == "replace":
        table[draw(st.sampled_from(sorted(table)))] = draw(toml_values)
    elif op == "drop":
        del table[draw(st.sampled_from(sorted(table)))]
    elif op == "add":
        table[draw(names)] = draw(toml_values)
    elif op == "section":
        doc[draw(names)] = draw(st.dictionaries(names, toml_values, max_size=2))
    else:
        doc["defects"] = draw(st.dictionaries(st.sampled_from(DEFECTS) | names,
                                              st.booleans() | toml_values, max_size=3))
    return doc


files = st.one_of(
    st.one_of(config_docs, damaged_docs()).map(render).map(str.encode),
    mutated(config_docs.map(render).map(str.encode)),
    mutated_text(config_docs.map(render)).map(str.encode),
    st.binary(max_size=200),
)


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-config") / "machine.toml"


@fuzz(weight=2)
@given(raw=files)
def test_any_file_boots_or_is_refused_with_a_config_error(config_file: Path, raw: bytes) -> None:
    config_file.write_bytes(raw)
    out = run_parser(load_config, ConfigError, config_file)
    if out.accepted:
        assert isinstance(out.value, MachineConfig) and out.value.prices
        assert out.value.defects <= set(DEFECTS)
        assert out.value.test is not None or not out.value.defects
    else:
        assert str(config_file) in str(out.error)


@fuzz()
@given(doc=config_docs)
def test_a_valid_config_loads_with_exactly_its_values(config_file: Path,
                                                      doc: dict[str, Any]) -> None:
    config_file.write_text(render(doc))
    cfg = load_config(config_file)
    chain = doc["chain"]
    assert cfg.key == doc["machine"]["key"]
    assert str(cfg.data_dir) == str(Path(doc["machine"]["data_dir"]))
    for name in chain:
        assert getattr(cfg.chain, name) == chain[name]
    assert cfg.prices == {int(k): v for k, v in doc["prices"].items()}
    assert cfg.nfc_device == doc["nfc"]["device"]
    assert cfg.brew_port == doc["brew"]["port"]
    assert cfg.sensor_bus == doc["sensors"]["bus"]
    if "test" in doc:
        assert cfg.test is not None and cfg.test.control == doc["test"]["control"]
        assert cfg.test.hold == tuple(doc["test"].get("hold", ()))
    else:
        assert cfg.test is None


# -- crashes the fuzzer found, fixed in firmware/config.py ---------------------------------

@contextmanager
def recursion_headroom(frames: int) -> Iterator[None]:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _good_with(tmp_path: Path, section: str, key: str, literal: str) -> Path:
    doc = {"machine": {"key": "0x" + "4c" * 32, "data_dir": "/d"},
           "chain": {"rpc_url": "http://x", "chain_id": 1, "payment_provider": PAYMENTS,
                     "rental_provider": RENTAL, "channel_id": "0x" + "ab" * 32,
                     "rental_id": 7},
           "prices": {"1": 5}, "nfc": {"device": "d"}, "brew": {"port": "p"},
           "sensors": {"bus": 1}}
    doc[section].pop(key, None)
    text = render(doc).replace(f"[{toml_string(section)}]\n",
                               f"[{toml_string(section)}]\n{toml_string(key)} = {literal}\n")
    path = tmp_path / "machine.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("section", "key", "literal", "message"), [
    ("nfc", "poll_timeout", "9" * 400, "too large for a number"),        # was OverflowError
    ("nfc", "device", "0x" + "f" * 4000, "too large to print"),           # was ValueError
    ("prices", "1" * 4400, "5", "must be productId"),                      # was ValueError
    ("prices", "x", "0x" + "f" * 4000, "must be productId"),              # was ValueError
    ("brew", "port", "1" * 4400, "not valid TOML"),                        # was ValueError
])
def test_huge_numbers_are_a_config_error(tmp_path: Path, section: str, key: str, literal: str,
                                         message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_good_with(tmp_path, section, key, literal))


def test_nesting_deeper_than_the_recursion_limit_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 400 + "]" * 400 + "\n")
    with recursion_headroom(200), pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
