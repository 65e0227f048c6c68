"""A schedule of scenario steps written as a scenario file that ``rig run`` / ``rig replay``
accept: the durable form of a failing example, independent of Hypothesis' own database (whose
entries only mean something to the state machine that wrote them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from rig.scenario.model import Settings
from tests.property.rig_actions import ScheduleStep

ROOT = Path(__file__).resolve().parents[2]
FAILURES = ROOT / "build" / "property-failures"


def settings_doc(settings: Settings) -> dict[str, Any]:
    """The settings that differ from a scenario's defaults (what a file has to say)."""
    default = Settings()
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(Settings)
            if getattr(settings, f.name) != getattr(default, f.name)}


def step_doc(step: ScheduleStep) -> str | dict[str, Any]:
    kind, args = step
    return {kind: dict(args)} if args else kind


def scenario_doc(name: str, settings: Settings, steps: Sequence[ScheduleStep],
                 description: str = "") -> dict[str, Any]:
    if not steps:
        raise ValueError(f"schedule {name!r} has no steps: a scenario needs at least one")
    return {"name": name,
            "description": description or "A schedule found by the stateful property test.",
            "tags": ["property"], "settings": settings_doc(settings),
            "steps": [step_doc(s) for s in steps]}


def write_scenario(doc: dict[str, Any], directory: Path = FAILURES) -> Path:
    """Write ``doc`` as ``<directory>/<name>.yaml``; the file name is the scenario's id, from
    which (with the run seed) the runner derives the scenario's seed."""
    name = str(doc.get("name", ""))
    if not name or Path(name).name != name or name.startswith("."):
        raise ValueError(f"scenario name {name!r} must be a plain file name")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100))
    return path
