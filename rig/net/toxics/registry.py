"""The toxic registry: kind → class, filled by the ``@register`` decorator of each file."""

from __future__ import annotations

import dataclasses
import random
import typing
from typing import Any

from rig.net.toxics.base import Toxic, ToxicError

_TOXICS: dict[str, type[Toxic]] = {}


def register(cls: type[Toxic]) -> type[Toxic]:
    if cls.kind in _TOXICS:
        raise RuntimeError(f"toxic kind {cls.kind!r} registered twice")
    _TOXICS[cls.kind] = cls
    return cls


def toxic_kinds() -> list[str]:
    return sorted(_TOXICS)


def toxic_class(kind: str) -> type[Toxic]:
    try:
        return _TOXICS[kind]
    except KeyError:
        raise ToxicError(f"unknown toxic {kind!r}; known: {', '.join(toxic_kinds())}") from None


def make_toxic(kind: str, rng: random.Random | None = None, **params: Any) -> Toxic:
    """Build a toxic from its kind and parameters, with a clear error for anything wrong."""
    cls = toxic_class(kind)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)} - {"rng"}
    unknown = set(params) - known
    if unknown:
        raise ToxicError(f"toxic {kind}: unknown parameter(s) {sorted(unknown)}; "
                         f"parameters: {', '.join(sorted(known))}")
    for name, value in params.items():
        target = hints[name]
        if target is float and isinstance(value, int) and not isinstance(value, bool):
            params[name] = float(value)
        elif target in (int, float, str) and (
                isinstance(value, bool) or not isinstance(value, target)):
            raise ToxicError(f"toxic {kind}: parameter {name!r} must be {target.__name__}, "
                             f"got {value!r}")
    return cls(rng=rng if rng is not None else random.Random(0), **params)
