"""The registry of part kinds: ``@register("brew", "emulated-board")``."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate

from rig.hardware.protocols import Part


@dataclass(frozen=True)
class PartContext:
    workdir: Path      # files of this machine (flash, logs)
    sockdir: Path      # short path for Unix sockets (AF_UNIX allows ~107 bytes)
    rng: random.Random


PartFactory = Callable[Concatenate[PartContext, ...], Part]
"""A part kind: called with the machine's context and the profile's parameters for the part.

Typing the registry with it is what makes mypy prove each registered kind is a ``Part``
(``config``/``close`` with these signatures) and takes a ``PartContext`` first."""

_KINDS: dict[tuple[str, str], PartFactory] = {}


def register(part: str, kind: str) -> Callable[[PartFactory], PartFactory]:
    def deco(factory: PartFactory) -> PartFactory:
        _KINDS[(part, kind)] = factory
        return factory

    return deco


def kinds(part: str | None = None) -> list[tuple[str, str]]:
    return sorted(k for k in _KINDS if part is None or k[0] == part)


def factory(part: str, kind: str) -> PartFactory:
    made = _KINDS.get((part, kind))
    if made is None:
        known = ", ".join(k for p, k in kinds(part)) or "none"
        raise KeyError(f"no {part} part of kind {kind!r}; known: {known}")
    return made


def create_part(part: str, kind: str, ctx: PartContext, **params: Any) -> Part:
    return factory(part, kind)(ctx, **params)
