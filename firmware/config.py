"""The machine's configuration file (TOML), validated once at boot.

Every port is chosen here: the NFC device path, the brew board's serial port, the I2C bus,
the chain's RPC URL. A ``[test]`` section switches on the rig interface; a production
config has none, and ``[defects]`` (switchable firmware bugs the rig must catch) is refused
unless ``[test]`` is present.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from eth_utils import is_checksum_address


class ConfigError(ValueError):
    """The config file is missing, unreadable or has a bad value; the message names the key."""


DEFECTS = (
    "brew_before_persist",   # start the brew before the receipt is durable
    "no_fsync",              # never sync the store (PRAGMA synchronous=OFF)
    "skip_signature_check",  # accept any signature
    "accept_stale_receipt",  # accept a receipt that does not extend the latest one
    "resign_redeem",         # after a lost response, sign the redeem again with a new nonce
    "ignore_offline_bound",  # sell beyond the deposit last seen on-chain
    "ignore_close_request",  # do not hurry to redeem when the customer closes
    "offline_bound_off_by_one",  # check the deposit before adding this purchase's charge
    "credit_granted_twice",      # a failed brew's credit is granted a second time
    "broadcast_before_persist",  # send a signed transaction before the outbox holds it
    "final_at_first_inclusion",  # ignore the confirmation depth: a reorg goes unnoticed
    "signature_not_bound_to_receipt",  # a signature verified once passes for any receipt
    "late_redeem",           # ignore the redeem threshold and interval (close/demand only)
    "skip_chain_id_check",   # send transactions to a node of any chain id
)


@dataclass(frozen=True)
class ChainSection:
    rpc_url: str
    chain_id: int
    payment_provider: str
    rental_provider: str
    channel_id: str
    rental_id: int
    confirmations: int = 2
    sync_interval: float = 2.0
    redeem_threshold: int = 5_000_000
    redeem_interval: float = 3600.0
    rpc_timeout: float = 3.0


@dataclass(frozen=True)
class TestSection:
    control: str                          # unix socket path of the rig interface
    hold: tuple[str, ...] = ()            # checkpoints that wait for the rig's release


@dataclass(frozen=True)
class MachineConfig:
    source: Path
    key: str                              # the machine's private key (hex)
    data_dir: Path
    chain: ChainSection
    prices: dict[int, int]
    nfc_device: str
    nfc_poll_timeout: float
    brew_port: str
    brew_timeout: float
    sensor_bus: int | str
    sensor_interval: float
    test: TestSection | None = None
    defects: frozenset[str] = field(default_factory=frozenset)

    def defect(self, name: str) -> bool:
        return name in self.defects


def _get(table: dict, key: str, kind: type | tuple[type, ...], where: str,
         default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise ConfigError(f"{where}: missing key '{key}'")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > _MAX_FLOAT_INT:
            raise ConfigError(f"{where}: '{key}' = {_show(value)} is too large for a number")
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(f"{where}: '{key}' must be {_kind_name(kind)}, got {_show(value)}")
    return value


_MAX_FLOAT_INT = int(sys.float_info.max)


def _show(value: Any) -> str:
    """``repr`` for an error message that cannot itself fail: TOML hex integers may exceed
    the digits Python will print in decimal."""
    try:
        return repr(value)
    except ValueError:
        return f"<{type(value).__name__} too large to print>"


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _is_hex(text: str, nbytes: int) -> bool:
    """``text`` is exactly ``nbytes`` of 0x-prefixed hex."""
    body = text[2:]
    return (text.startswith("0x") and len(body) == 2 * nbytes and body.isascii()
            and all(c in "0123456789abcdefABCDEF" for c in body))


def _check_address(value: str, key: str, where: str) -> None:
    if not _is_hex(value, 20):
        raise ConfigError(f"{where}: '{key}' must be a 0x-prefixed 20-byte address, "
                          f"got {value!r}")
    body = value[2:]
    # Mixed case is an EIP-55 checksum: a typo in it would otherwise surface only at the
    # first tap, when the EIP-712 domain is encoded.
    if body not in (body.lower(), body.upper()) and not is_checksum_address(value):
        raise ConfigError(f"{where}: '{key}' has a bad EIP-55 checksum: {value!r} "
                          "(write it in lower case or with its correct checksum)")


def _only(table: dict, known: tuple[str, ...], where: str, what: str = "keys") -> None:
    """A misspelt key would silently fall back to its default (or drop a whole section)."""
    unknown = set(table) - set(known)
    if unknown:
        raise ConfigError(f"{where}: unknown {what} {sorted(unknown)}; known: "
                          f"{', '.join(known)}")


SECTIONS = ("machine", "chain", "prices", "nfc", "brew", "sensors", "test", "defects")


def _section(doc: dict, name: str, path: Path, required: bool = True) -> dict | None:
    if name not in doc:
        if required:
            raise ConfigError(f"{path}: missing section [{name}]")
        return None
    if not isinstance(doc[name], dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return doc[name]


def _chain(t: dict, where: str) -> ChainSection:
    kinds = {"str": str, "int": int, "float": float}
    values = {f.name: _get(t, f.name, kinds[str(f.type)], where,
                           ... if f.default is MISSING else f.default)
              for f in fields(ChainSection)}
    for key in ("payment_provider", "rental_provider"):
        _check_address(values[key], key, where)
    if not _is_hex(values["channel_id"], 32):
        raise ConfigError(f"{where}: 'channel_id' must be a 0x-prefixed 32-byte hex string, "
                          f"got {values['channel_id']!r}")
    if values["confirmations"] < 0:
        raise ConfigError(f"{where}: 'confirmations' must be >= 0")
    _only(t, tuple(values), where)
    return ChainSection(**values)


def load_config(path: str | Path) -> MachineConfig:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: no such config file") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text ({e.reason} at byte "
                          f"{e.start})") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    except (ValueError, RecursionError) as e:  # an integer too long, nesting too deep
        raise ConfigError(f"{path}: not valid TOML: {type(e).__name__}: {e}") from e
    _only(doc, SECTIONS, str(path), "sections")
    m = _section(doc, "machine", path)
    assert m is not None
    _only(m, ("key", "data_dir"), f"{path} [machine]")
    key = _get(m, "key", str, f"{path} [machine]")
    if not _is_hex("0x" + key.removeprefix("0x"), 32):
        raise ConfigError(f"{path} [machine]: 'key' must be a 32-byte hex private key")
    data_dir = Path(_get(m, "data_dir", str, f"{path} [machine]"))
    chain = _chain(_section(doc, "chain", path) or {}, f"{path} [chain]")
    raw_prices = _section(doc, "prices", path) or {}
    prices: dict[int, int] = {}
    for k, v in raw_prices.items():
        product_ok = k.isascii() and k.isdigit() and len(k) <= 5 and int(k) <= 0xFFFF
        if not product_ok or not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise ConfigError(f"{path} [prices]: '{k} = {_show(v)}' must be productId "
                              f"(0..65535) = price > 0")
        prices[int(k)] = v
    if not prices:
        raise ConfigError(f"{path} [prices]: at least one product needs a price")
    nfc = _section(doc, "nfc", path) or {}
    _only(nfc, ("device", "poll_timeout"), f"{path} [nfc]")
    brew = _section(doc, "brew", path) or {}
    _only(brew, ("port", "timeout"), f"{path} [brew]")
    sensors = _section(doc, "sensors", path) or {}
    _only(sensors, ("bus", "interval"), f"{path} [sensors]")
    bus = _get(sensors, "bus", (int, str), f"{path} [sensors]")
    test_t = _section(doc, "test", path, required=False)
    test = None
    if test_t is not None:
        _only(test_t, ("control", "hold"), f"{path} [test]")
        hold = _get(test_t, "hold", list, f"{path} [test]", [])
        if not all(isinstance(h, str) for h in hold):
            raise ConfigError(f"{path} [test]: 'hold' must be a list of checkpoint names, "
                              f"got {_show(hold)}")
        test = TestSection(_get(test_t, "control", str, f"{path} [test]"), tuple(hold))
    defects_t = _section(doc, "defects", path, required=False) or {}
    _only(defects_t, DEFECTS, f"{path} [defects]", "defects")
    on = {k for k in defects_t if _get(defects_t, k, bool, f"{path} [defects]")}
    if on and test is None:
        raise ConfigError(f"{path} [defects]: defects are refused without a [test] section "
                          "(a production config never carries them)")
    return MachineConfig(
        source=path, key=key, data_dir=data_dir, chain=chain, prices=prices,
        nfc_device=_get(nfc, "device", str, f"{path} [nfc]"),
        nfc_poll_timeout=_get(nfc, "poll_timeout", float, f"{path} [nfc]", 0.5),
        brew_port=_get(brew, "port", str, f"{path} [brew]"),
        brew_timeout=_get(brew, "timeout", float, f"{path} [brew]", 30.0),
        sensor_bus=bus,
        sensor_interval=_get(sensors, "interval", float, f"{path} [sensors]", 1.0),
        test=test, defects=frozenset(on),
    )
