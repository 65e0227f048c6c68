"""Load a scenario file, with an error naming the file, the step and what is wrong."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from rig.scenario.model import Scenario, Settings, Step
from rig.scenario.steps import step_kinds, validate_step


class ScenarioError(ValueError):
    """A scenario file is malformed; the message says where (file and step path)."""


_TOP = {"name", "description", "settings", "steps", "tags", "expect"}
EXPECTABLE = ("ok",)  # the outcomes a scenario may require of an invariant (for now)
MAX_BYTES = 1 << 20   # a scenario is a page of YAML, not a data set
MAX_NESTING = 64      # PyYAML's scanner is quadratic in nesting depth and recursive


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise ScenarioError(f"{path}: no such scenario file") from e
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read: {e.strerror or e}") from e
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"{path}: {len(raw)} bytes; a scenario file is at most {MAX_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {e.start})") from e
    if _flow_depth(text) > MAX_NESTING:
        raise ScenarioError(f"{path}: nested deeper than {MAX_NESTING} levels")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ScenarioError(f"{path}: not valid YAML: {e}") from e
    except (ValueError, RecursionError) as e:  # e.g. an integer beyond Python's digit limit
        raise ScenarioError(f"{path}: a value cannot be read: {type(e).__name__}: "
                            f"{str(e)[:200]}") from e
    return parse_scenario(doc, path)


def _flow_depth(text: str) -> int:
    """The deepest nesting of [ and { (a cheap bound, checked before YAML parses it)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def show(value: object, limit: int = 80) -> str:
    """repr() for messages that cannot itself fail (huge ints) and stays short."""
    try:
        text = repr(value)
    except ValueError:
        text = f"<{type(value).__name__} too large to print>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _keys(keys: Iterable[object]) -> list[str]:
    return sorted(show(k) for k in keys)


def parse_scenario(doc: Any, path: Path | None = None) -> Scenario:
    where = str(path or "<scenario>")
    if not isinstance(doc, dict):
        raise ScenarioError(f"{where}: a scenario is a mapping with name, settings, steps")
    unknown = set(doc) - _TOP
    if unknown:
        raise ScenarioError(f"{where}: unknown top-level keys {_keys(unknown)}; "
                            f"allowed: {sorted(_TOP)}")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{where}: 'name' must be a non-empty string")
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{where}: 'steps' must be a non-empty list")
    tags = doc.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ScenarioError(f"{where}: 'tags' must be a list of strings")
    return Scenario(name=name.strip(), description=str(doc.get("description", "")).strip(),
                    settings=_settings(doc.get("settings", {}), where),
                    steps=tuple(_steps(steps, f"{where}: steps")), source=path,
                    tags=tuple(tags), expect=_expect(doc.get("expect", {}), where))


def known_invariants() -> list[str]:
    """The oracle's invariant ids, read from its registry (never a copy of the list): an
    invariant added to rig/oracle becomes expectable without touching the loader."""
    from rig.oracle.checker import _load
    from rig.oracle.registry import invariants

    _load()
    return [inv.id for inv in invariants()]


def _expect(raw: Any, where: str) -> dict[str, str]:
    """``expect: {INV-7: ok, ...}``: the invariants this scenario exists to prove."""
    if raw is None or raw == {}:
        return {}
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: 'expect' must map invariant ids to ok, e.g. "
                            f"'expect: {{INV-2: ok}}'; got {show(raw)}")
    known = known_invariants()
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or key not in known:
            raise ScenarioError(f"{where}: expect: unknown invariant {show(key)}; "
                                f"known: {', '.join(known)}")
        if value not in EXPECTABLE:
            raise ScenarioError(f"{where}: expect.{key}: {show(value)} is not an expectable "
                                f"outcome; allowed: {', '.join(EXPECTABLE)}")
        out[key] = value
    return out


def _settings(raw: Any, where: str) -> Settings:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: 'settings' must be a mapping")
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    unknown = set(raw) - set(fields)
    if unknown:
        raise ScenarioError(f"{where}: settings: unknown keys {_keys(unknown)}; "
                            f"allowed: {sorted(fields)}")
    values = dict(raw)
    if "prices" in values:
        prices = values["prices"]
        if not isinstance(prices, dict) or not prices or not all(
                isinstance(k, int) and isinstance(v, int) and v > 0 for k, v in prices.items()):
            raise ScenarioError(f"{where}: settings.prices must map product ids to prices > 0")
    for key in ("phones", "deposit", "redeem_threshold", "confirmations", "challenge_period"):
        if key in values and (not isinstance(values[key], int) or isinstance(values[key], bool)
                              or values[key] < 0):
            raise ScenarioError(f"{where}: settings.{key} must be a non-negative integer")
    for key in ("redeem_interval", "sync_interval"):
        if key in values and (not isinstance(values[key], int | float) or values[key] <= 0):
            raise ScenarioError(f"{where}: settings.{key} must be a positive number")
    if values.get("phones", 1) < 1:
        raise ScenarioError(f"{where}: settings.phones must be at least 1")
    return Settings(**values)


def _steps(raw: list, where: str) -> list[Step]:
    out = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        args: Any   # as the YAML has it; checked below
        if isinstance(item, str):
            kind, args = item, {}
        elif isinstance(item, dict) and len(item) == 1:
            ((kind, args),) = item.items()
        else:
            raise ScenarioError(f"{here}: a step is one 'kind: arguments' entry, "
                                f"got {show(item)}")
        if not isinstance(kind, str) or kind not in step_kinds():
            raise ScenarioError(f"{here}: unknown step {show(kind)}; known: "
                                f"{', '.join(step_kinds())}")
        here = f"{here} {kind}"
        if kind in ("serial", "parallel"):
            if not isinstance(args, list) or not args:
                raise ScenarioError(f"{here}: needs a non-empty list of steps")
            out.append(Step(kind, {}, here, tuple(_steps(args, here))))
            continue
        if kind == "repeat":
            if not isinstance(args, dict) or not isinstance(args.get("times"), int) \
                    or not isinstance(args.get("steps"), list):
                raise ScenarioError(f"{here}: needs 'times' (int) and 'steps' (list)")
            out.append(Step(kind, {"times": args["times"]}, here,
                            tuple(_steps(args["steps"], here))))
            continue
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise ScenarioError(f"{here}: arguments must be a mapping, got {show(args)}")
        try:
            validate_step(kind, args)
        except (ValueError, TypeError, OverflowError) as e:
            raise ScenarioError(f"{here}: {e}") from e
        out.append(Step(kind, dict(args), here))
    return out
