"""The step registry: ``@step("tap", phone=(int, 1), product=(int, None))``.

Each argument is declared with its type and default (``REQUIRED`` for none), so a scenario
file is validated before anything runs and the error names the argument. Each step also
declares the effects (rig/effects.py) it begins and ends, ``NONE`` for none: the oracle reads
them to know when the machine was powered and could reach the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rig.effects import Effect

if TYPE_CHECKING:
    from rig.scenario.context import RunContext
    from rig.scenario.model import Step

REQUIRED = object()
ANY_KEYS = "*"   # a step that takes free-form arguments (e.g. a fault's own parameters)

_STEPS: dict[str, tuple[dict[str, tuple[Any, Any]], Callable[..., None]]] = {}
_VALIDATORS: dict[str, Callable[[dict[str, Any]], None]] = {}
_EFFECTS: dict[str, tuple[frozenset[Effect], frozenset[Effect]]] = {}
_NEEDS: dict[str, frozenset[str]] = {}
_HARDWARE: dict[str, frozenset[str]] = {}


def step(step_kind: str, /, validator: Callable[[dict[str, Any]], None] | None = None,
         begins: frozenset[Effect] | None = None, ends: frozenset[Effect] | None = None,
         needs: frozenset[str] = frozenset(), hardware: frozenset[str] = frozenset(),
         **schema: tuple[Any, Any]) -> Callable[[Callable[..., None]], Callable]:
    """Register a step kind; ``validator`` checks free-form arguments at load time;
    ``begins`` / ``ends`` declare the effects the step starts and ends (both ``NONE`` for a
    step that changes neither power, uplink, chain time nor the channel's state); ``needs``
    the chain capabilities it asks of the node (rig/chain/capabilities.py); ``hardware`` the
    capabilities of the machine's parts it acts through (rig/hardware/protocols.py)."""

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        _STEPS[step_kind] = (schema, fn)
        _NEEDS[step_kind] = frozenset(needs)
        _HARDWARE[step_kind] = frozenset(hardware)
        if validator is not None:
            _VALIDATORS[step_kind] = validator
        if begins is not None or ends is not None:
            _EFFECTS[step_kind] = (frozenset(begins or ()), frozenset(ends or ()))
        return fn

    return deco


def step_effects(kind: str) -> tuple[frozenset[Effect], frozenset[Effect]] | None:
    """(begins, ends) as the step kind declared them; None for a kind that declared nothing
    (or is not a step)."""
    return _EFFECTS.get(kind)


def step_needs(kind: str) -> frozenset[str]:
    """The chain capabilities the step kind declared it needs."""
    return _NEEDS.get(kind, frozenset())


def step_hardware(kind: str) -> frozenset[str]:
    """The capabilities of the machine's parts the step kind declared it acts through."""
    return _HARDWARE.get(kind, frozenset())


def step_kinds() -> list[str]:
    return sorted(_STEPS)


def validate_step(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """Arguments with defaults filled in; ValueError naming the bad argument."""
    schema, _ = _STEPS[kind]
    if kind in _VALIDATORS:
        _VALIDATORS[kind](args)
    if ANY_KEYS in schema:
        return dict(args)
    unknown = set(args) - set(schema)
    if unknown:
        names = sorted(k[:40] if isinstance(k, str) else _show(k)[:40] for k in unknown)
        raise ValueError(f"unknown argument(s) {names}; allowed: {sorted(schema)}")
    out = {}
    for name, (kind_, default) in schema.items():
        if name not in args:
            if default is REQUIRED:
                raise ValueError(f"missing argument {name!r}")
            out[name] = default
            continue
        value = args[name]
        if kind_ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind_) or (isinstance(value, bool) and kind_ is not bool
                                            and bool not in _tuple(kind_)):
            raise ValueError(f"argument {name!r} must be {_name(kind_)}, got {_show(value)}")
        out[name] = value
    return out


def _show(value: Any) -> str:
    try:
        return repr(value)[:80]
    except ValueError:
        return f"<{type(value).__name__} too large to print>"


def _tuple(k: Any) -> tuple:
    return k if isinstance(k, tuple) else (k,)


def _name(k: Any) -> str:
    return " or ".join(t.__name__ for t in _tuple(k))


def run_step(ctx: RunContext, s: Step) -> None:
    _, fn = _STEPS[s.kind]
    fn(ctx, s, **validate_step(s.kind, s.args))
