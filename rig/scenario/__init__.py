"""Declarative scenarios (YAML): settings, actors, and a tree of serial/parallel steps."""

from rig.scenario.loader import ScenarioError, load_scenario, parse_scenario
from rig.scenario.model import Scenario, Settings, Step

__all__ = ["Scenario", "ScenarioError", "Settings", "Step", "load_scenario", "parse_scenario"]
