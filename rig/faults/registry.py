"""The fault catalog: kind → class, built by the ``@register`` decorator of each file."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from rig.faults.base import Fault, FaultError

_CATALOG: dict[str, type[Fault]] = {}


def register(cls: type[Fault]) -> type[Fault]:
    if cls.kind in _CATALOG:
        raise RuntimeError(f"fault kind {cls.kind!r} registered twice")
    _CATALOG[cls.kind] = cls
    return cls


def kinds() -> list[str]:
    return sorted(_CATALOG)


def fault_class(kind: str) -> type[Fault]:
    try:
        return _CATALOG[kind]
    except KeyError:
        raise FaultError(f"unknown fault kind {kind!r}; known: {', '.join(kinds())}") from None


def make_fault(kind: str, params: dict[str, Any] | None = None) -> Fault:
    """Build a fault from a kind and parameters, with a clear error for anything wrong."""
    cls = fault_class(kind)
    params = dict(params or {})
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(params) - set(known)
    if unknown:
        raise FaultError(f"{kind}: unknown parameter(s) {sorted(map(_label, unknown))}; "
                         f"parameters: {describe_params(cls) or 'none'}")
    hints = typing.get_type_hints(cls)
    for name, value in params.items():
        params[name] = _coerce(kind, name, value, hints[name])
    try:
        return cls(**params)
    except TypeError as e:
        raise FaultError(f"{kind}: {e}; parameters: {describe_params(cls)}") from e


def _label(key: object) -> str:
    """A parameter name for a message (any YAML key: str, a huge int, ...)."""
    if isinstance(key, str):
        return key[:40]
    return f"<{type(key).__name__}>" if isinstance(key, int) and key.bit_length() > 1000 \
        else repr(key)[:40]


def _coerce(kind: str, name: str, value: Any, hint: Any) -> Any:
    """Check a YAML/JSON value against the field's type (ints widen to floats)."""
    allowed = [typing.get_origin(a) or a for a in (typing.get_args(hint) or (hint,))]
    if value is None and type(None) in allowed:
        return None
    target = next(a for a in allowed if a is not type(None))
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise FaultError(f"{kind}: parameter {name!r} is too large for a number of "
                             "seconds/units") from None
    if target is tuple and isinstance(value, list):
        return tuple(value)
    wrong_bool = target in (int, float) and isinstance(value, bool)
    if wrong_bool or (isinstance(target, type) and not isinstance(value, target)):
        shown = repr(value)[:80] if not isinstance(value, int) or value.bit_length() < 1000 \
            else "<a huge integer>"
        raise FaultError(f"{kind}: parameter {name!r} must be "
                         f"{getattr(target, '__name__', target)}, got {shown}")
    return value


def describe_params(cls: type[Fault]) -> str:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = "" if f.default is dataclasses.MISSING else f" = {f.default!r}"
        out.append(f"{f.name}: {getattr(hints[f.name], '__name__', hints[f.name])}{default}")
    return ", ".join(out)


def catalog() -> list[dict[str, str]]:
    return [{"kind": k, "family": c.family, "description": c.description,
             "parameters": describe_params(c)} for k, c in sorted(_CATALOG.items())]
