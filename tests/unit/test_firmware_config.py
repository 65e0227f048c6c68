"""The machine's config file: every bad value is refused at boot, naming the file and the key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from firmware.config import (
    DEFECTS,
    ChainSection,
    ConfigError,
    MachineConfig,
    load_config,
)
from firmware.config import (
    TestSection as RigInterface,
)

KEY = "0x" + "4c" * 32
PAYMENTS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # EIP-55 checksummed
RENTAL = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"    # all lower case
CHANNEL = "0x" + "ab" * 32

GOOD: dict[str, dict[str, Any]] = {
    "machine": {"key": KEY, "data_dir": "/var/lib/coffeepay"},
    "chain": {"rpc_url": "http://127.0.0.1:8545", "chain_id": 31337,
              "payment_provider": PAYMENTS, "rental_provider": RENTAL,
              "channel_id": CHANNEL, "rental_id": 7},
    "prices": {"1": 2_500_000, "2": 1_800_000},
    "nfc": {"device": "tty:AMA0"},
    "brew": {"port": "/dev/ttyUSB0"},
    "sensors": {"bus": 1},
}


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the ASCII used here
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return repr(v)


def _render(doc: dict[str, Any]) -> str:
    lines = [f"{k} = {_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for name, table in doc.items():
        if isinstance(table, dict):
            lines += [f"[{name}]", *(f"{json.dumps(k)} = {_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "machine.toml"
    path.write_text(_render(doc))
    return path


def _with(**changes: Any) -> dict[str, Any]:
    """GOOD with ``section={key: value}`` merged in; a value of ``None`` deletes the key."""
    doc = copy.deepcopy(GOOD)
    for section, table in changes.items():
        if table is None:
            doc.pop(section, None)
            continue
        target = doc.setdefault(section, {})
        for k, v in table.items():
            if v is None:
                target.pop(k, None)
            else:
                target[k] = v
    return doc


def _refused(tmp_path: Path, doc: dict[str, Any], *fragments: str) -> str:
    path = _write(tmp_path, doc)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# ---------------------------------------------------------------------- good configs

def test_a_full_test_config_round_trips_into_the_dataclass(tmp_path):
    doc = _with(chain={"confirmations": 0, "sync_interval": 3, "redeem_threshold": 10,
                       "redeem_interval": 60.5, "rpc_timeout": 1.5},
                nfc={"poll_timeout": 0.25}, brew={"timeout": 12},
                sensors={"bus": "/tmp/i2c.sock", "interval": 2},
                test={"control": "/tmp/rig.sock", "hold": ["tap", "receipt-signed"]},
                defects={"no_fsync": True, "resign_redeem": False})
    path = _write(tmp_path, doc)
    assert load_config(str(path)) == MachineConfig(
        source=path, key=KEY, data_dir=Path("/var/lib/coffeepay"),
        chain=ChainSection(rpc_url="http://127.0.0.1:8545", chain_id=31337,
                           payment_provider=PAYMENTS, rental_provider=RENTAL,
                           channel_id=CHANNEL, rental_id=7, confirmations=0,
                           sync_interval=3.0, redeem_threshold=10, redeem_interval=60.5,
                           rpc_timeout=1.5),
        prices={1: 2_500_000, 2: 1_800_000}, nfc_device="tty:AMA0", nfc_poll_timeout=0.25,
        brew_port="/dev/ttyUSB0", brew_timeout=12.0, sensor_bus="/tmp/i2c.sock",
        sensor_interval=2.0, test=RigInterface("/tmp/rig.sock", ("tap", "receipt-signed")),
        defects=frozenset({"no_fsync"}))


def test_a_production_config_gets_the_defaults_and_no_test_interface(tmp_path):
    cfg = load_config(_write(tmp_path, GOOD))
    assert cfg.chain == ChainSection("http://127.0.0.1:8545", 31337, PAYMENTS, RENTAL,
                                     CHANNEL, 7)
    assert (cfg.chain.confirmations, cfg.chain.sync_interval, cfg.chain.rpc_timeout) == \
        (2, 2.0, 3.0)
    assert (cfg.nfc_poll_timeout, cfg.brew_timeout, cfg.sensor_interval) == (0.5, 30.0, 1.0)
    assert cfg.sensor_bus == 1 and isinstance(cfg.sensor_interval, float)
    assert cfg.test is None and cfg.defects == frozenset()
    assert not any(cfg.defect(d) for d in DEFECTS)


def test_float_settings_accept_integers_as_floats(tmp_path):
    cfg = load_config(_write(tmp_path, _with(chain={"rpc_timeout": 4}, brew={"timeout": 9})))
    assert type(cfg.chain.rpc_timeout) is float and cfg.chain.rpc_timeout == 4.0
    assert type(cfg.brew_timeout) is float


def test_key_without_0x_and_upper_case_addresses_are_accepted(tmp_path):
    doc = _with(machine={"key": "4C" * 32},
                chain={"payment_provider": "0x" + PAYMENTS[2:].upper()})
    cfg = load_config(_write(tmp_path, doc))
    assert cfg.key == "4C" * 32


def test_all_defects_off_without_a_test_section_is_a_production_config(tmp_path):
    cfg = load_config(_write(tmp_path, _with(defects={d: False for d in DEFECTS})))
    assert cfg.defects == frozenset() and cfg.test is None


def test_every_known_defect_can_be_switched_on_under_test(tmp_path):
    doc = _with(test={"control": "/tmp/rig.sock"}, defects={d: True for d in DEFECTS})
    cfg = load_config(_write(tmp_path, doc))
    assert cfg.defects == frozenset(DEFECTS) and all(cfg.defect(d) for d in DEFECTS)
    assert cfg.test == RigInterface("/tmp/rig.sock", ())


# ---------------------------------------------------------------------- the file itself

def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="no such config file") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_a_directory_is_not_a_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read") as info:
        load_config(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_bad_toml_is_named_with_the_parser_position(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[machine]\nkey = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(path)
    assert str(path) in str(info.value) and "line 2" in str(info.value)


def test_binary_garbage_is_bad_toml_not_a_crash(tmp_path):
    path = tmp_path / "garbage.toml"
    path.write_bytes(b"\xff\xfe\x00[machine]\x9c")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------- sections and keys

@pytest.mark.parametrize("section", ["machine", "chain", "prices", "nfc", "brew", "sensors"])
def test_a_missing_section_is_named(tmp_path, section):
    _refused(tmp_path, _with(**{section: None}), f"missing section [{section}]")


@pytest.mark.parametrize("section", ["machine", "chain", "prices", "test", "defects"])
def test_a_section_that_is_not_a_table_is_named(tmp_path, section):
    doc = _with(**{section: None})
    doc = {section: 5, **doc}
    _refused(tmp_path, doc, f"[{section}] must be a table")


@pytest.mark.parametrize(("section", "key"), [
    ("machine", "key"), ("machine", "data_dir"), ("chain", "rpc_url"), ("chain", "chain_id"),
    ("chain", "payment_provider"), ("chain", "rental_provider"), ("chain", "channel_id"),
    ("chain", "rental_id"), ("nfc", "device"), ("brew", "port"), ("sensors", "bus"),
])
def test_a_missing_key_is_named(tmp_path, section, key):
    _refused(tmp_path, _with(**{section: {key: None}}), f"[{section}]", f"missing key '{key}'")


def test_a_test_section_needs_its_control_socket(tmp_path):
    _refused(tmp_path, _with(test={"hold": ["tap"]}), "[test]", "missing key 'control'")


@pytest.mark.parametrize(("section", "key", "value", "expected"), [
    ("machine", "key", 123, "str"),
    ("machine", "data_dir", ["/a"], "str"),
    ("chain", "rpc_url", 8545, "str"),
    ("chain", "chain_id", "31337", "int"),
    ("chain", "chain_id", True, "int"),          # TOML true must not pass as 1
    ("chain", "rental_id", 7.0, "int"),
    ("chain", "confirmations", False, "int"),
    ("chain", "redeem_threshold", 1.5, "int"),
    ("chain", "sync_interval", "2", "float"),
    ("chain", "rpc_timeout", True, "float"),     # nor as 1.0
    ("nfc", "device", 0, "str"),
    ("nfc", "poll_timeout", True, "float"),
    ("brew", "timeout", "30", "float"),
    ("sensors", "bus", True, "int or str"),
    ("sensors", "bus", 1.5, "int or str"),
    ("sensors", "interval", [1], "float"),
    ("test", "control", 1, "str"),
    ("test", "hold", "tap", "list"),
])
def test_a_wrong_type_is_named_with_the_expected_type(tmp_path, section, key, value, expected):
    doc = _with(**{section: {key: value}})
    if section == "test":
        doc["test"].setdefault("control", "/tmp/rig.sock")
    _refused(tmp_path, doc, f"[{section}]", f"'{key}' must be {expected}", repr(value))


def test_hold_entries_must_be_checkpoint_names(tmp_path):
    _refused(tmp_path, _with(test={"control": "/tmp/rig.sock", "hold": ["tap", 3]}),
             "[test]", "'hold'")


# ---------------------------------------------------------------------- keys, addresses, ids

@pytest.mark.parametrize("key", [
    "0x" + "4c" * 31,            # 31 bytes
    "0x" + "4c" * 33,            # 33 bytes
    "4c" * 31 + "zz",            # not hex
    "",
])
def test_a_bad_private_key_is_refused(tmp_path, key):
    _refused(tmp_path, _with(machine={"key": key}), "[machine]", "'key'")


@pytest.mark.parametrize("field", ["payment_provider", "rental_provider"])
@pytest.mark.parametrize("address", [
    "0x" + "11" * 19,                     # 19 bytes
    "0x" + "11" * 21,                     # 21 bytes
    "11" * 20 + "00",                     # 42 characters without 0x
    "0x" + "g1" * 20,                     # right length, not hex
    "0x5FbDB2315678afecb367f032d93F642f64180aA3",  # one letter's case off: bad checksum
])
def test_a_bad_contract_address_is_refused(tmp_path, field, address):
    _refused(tmp_path, _with(chain={field: address}), "[chain]", f"'{field}'")


@pytest.mark.parametrize("channel_id", [
    "0x" + "ab" * 31, "0x" + "ab" * 33, "ab" * 33, "0x" + "xy" * 32, "0X" + "ab" * 32,
])
def test_a_bad_channel_id_is_refused(tmp_path, channel_id):
    _refused(tmp_path, _with(chain={"channel_id": channel_id}), "[chain]", "'channel_id'")


def test_negative_confirmations_are_refused(tmp_path):
    _refused(tmp_path, _with(chain={"confirmations": -1}), "[chain]", "'confirmations'")


def test_unknown_chain_keys_are_refused_by_name(tmp_path):
    doc = _with(chain={"confirmation": 3, "rpc": "http://x"})
    _refused(tmp_path, doc, "[chain]", "unknown keys", "'confirmation'", "'rpc'")


@pytest.mark.parametrize(("section", "typo"), [
    ("machine", "data-dir"), ("nfc", "poll_timout"), ("brew", "timeout_s"),
    ("sensors", "intervall"), ("test", "holds"),
])
def test_a_misspelt_key_is_refused_rather_than_silently_defaulted(tmp_path, section, typo):
    doc = _with(**{section: {typo: 1}})
    if section == "test":
        doc["test"]["control"] = "/tmp/rig.sock"
    _refused(tmp_path, doc, f"[{section}]", f"unknown keys ['{typo}']")


def test_a_misspelt_section_is_refused_rather_than_silently_dropped(tmp_path):
    doc = _with(test={"control": "/tmp/rig.sock"})
    doc["defect"] = {"no_fsync": True}       # [defects] misspelt: the run would be clean
    _refused(tmp_path, doc, "unknown sections ['defect']")


# ---------------------------------------------------------------------- prices

@pytest.mark.parametrize(("product", "price"), [
    ("espresso", 100), ("-1", 100), ("1.5", 100), ("²", 100),   # not a product id
    ("1", 0), ("1", -5), ("1", 1.5), ("1", "100"), ("1", True),  # not a price
])
def test_a_bad_price_entry_is_named(tmp_path, product, price):
    doc = copy.deepcopy(GOOD)
    doc["prices"] = {product: price}
    _refused(tmp_path, doc, "[prices]", f"'{product} = {price!r}'")


def test_an_empty_price_table_is_refused(tmp_path):
    doc = copy.deepcopy(GOOD)
    doc["prices"] = {}
    _refused(tmp_path, doc, "[prices]", "at least one product")


# ---------------------------------------------------------------------- defects

def test_defects_are_refused_without_a_test_section(tmp_path):
    _refused(tmp_path, _with(defects={"no_fsync": True}), "[defects]", "[test]")


def test_unknown_defects_are_named_with_the_known_ones(tmp_path):
    doc = _with(test={"control": "/tmp/rig.sock"},
                defects={"no_fsync": True, "no_fsyn": True})
    message = _refused(tmp_path, doc, "[defects]", "unknown defects ['no_fsyn']")
    assert all(d in message for d in DEFECTS)


def test_an_unknown_defect_is_refused_even_when_off(tmp_path):
    _refused(tmp_path, _with(defects={"brew_early": False}), "[defects]", "'brew_early'")


@pytest.mark.parametrize("value", [1, "yes", "true"])
def test_a_defect_switch_must_be_a_bool_not_silently_off(tmp_path, value):
    doc = _with(test={"control": "/tmp/rig.sock"}, defects={"no_fsync": value})
    _refused(tmp_path, doc, "[defects]", "'no_fsync' must be bool")
