"""Step kinds of a scenario: each registers its argument schema and what it does."""

import importlib
import pkgutil

from rig.scenario.steps.registry import run_step, step, step_kinds, validate_step

for _m in pkgutil.iter_modules(__path__):
    if _m.name != "registry":
        importlib.import_module(f"{__name__}.{_m.name}")

__all__ = ["run_step", "step", "step_kinds", "validate_step"]
