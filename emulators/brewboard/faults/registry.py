"""Catalog of board fault kinds: each kind registers itself under a name in its own file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from emulators.brewboard.errors import FaultConfigError
from emulators.brewboard.faults.base import BoardFault

_F = TypeVar("_F", bound=type[BoardFault])
FAULTS: dict[str, type[BoardFault]] = {}


def register(name: str) -> Callable[[_F], _F]:
    """Class decorator adding a fault kind to the catalog under ``name``."""

    def add(cls: _F) -> _F:
        if name in FAULTS:
            raise FaultConfigError(f"brew-board fault {name!r} is registered twice "
                                   f"({FAULTS[name].__qualname__} and {cls.__qualname__})")
        cls.name = name
        FAULTS[name] = cls
        return cls

    return add


def make_fault(name: str, **params: Any) -> BoardFault:
    """Build a registered fault by name, e.g. ``make_fault("lost_reply", verb="ACK")``."""
    cls = FAULTS.get(name)
    if cls is None:
        raise FaultConfigError(f"no brew-board fault named {name!r}; known: "
                               f"{', '.join(sorted(FAULTS))}")
    try:
        return cls(**params)
    except TypeError as exc:
        raise FaultConfigError(f"bad parameters for brew-board fault {name!r}: {exc}") from exc
