"""The registry of part kinds: ``@register("brew", "emulated-board")``."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class Part(Protocol):
    """A started part: what the firmware config needs to reach it, and how to stop it."""

    def config(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PartContext:
    workdir: Path      # files of this machine (flash, logs)
    sockdir: Path      # short path for Unix sockets (AF_UNIX allows ~107 bytes)
    rng: random.Random


_KINDS: dict[tuple[str, str], Callable[..., Part]] = {}


def register(part: str, kind: str) -> Callable[[Callable[..., Part]], Callable[..., Part]]:
    def deco(factory: Callable[..., Part]) -> Callable[..., Part]:
        _KINDS[(part, kind)] = factory
        return factory

    return deco


def kinds(part: str | None = None) -> list[tuple[str, str]]:
    return sorted(k for k in _KINDS if part is None or k[0] == part)


def create_part(part: str, kind: str, ctx: PartContext, **params: Any) -> Part:
    factory = _KINDS.get((part, kind))
    if factory is None:
        known = ", ".join(k for p, k in kinds(part)) or "none"
        raise KeyError(f"no {part} part of kind {kind!r}; known: {known}")
    return factory(ctx, **params)
