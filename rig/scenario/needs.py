"""What a scenario asks of the chain node and of the machine's parts: the capabilities its
steps and faults declare.

On a node that lacks one, the scenario is skipped with the capability named before anything
is deployed, never run and failed (and never retried: the node will lack it again).
"""

from __future__ import annotations

from collections.abc import Iterable

from rig.hardware.profile import Profile
from rig.scenario.model import Scenario, Step

NODE_PROCESS = "node_process"
"""Not an RPC method: the rig owns the node's process (restarts it). Never true for a node
attached with --chain-url."""


def _step_needs(s: Step) -> frozenset[str]:
    from rig.faults import fault_class
    from rig.scenario.steps.registry import step_needs

    if s.kind == "fault":
        return fault_class(str(s.args["kind"])).needs
    if s.kind == "settle" and s.args.get("warp") is False:
        return frozenset()
    return step_needs(s.kind)


def _walk(steps: Iterable[Step]) -> Iterable[Step]:
    for s in steps:
        yield s
        yield from _walk(s.children)


def _step_hardware(s: Step) -> frozenset[str]:
    from rig.faults import fault_class
    from rig.scenario.steps.registry import step_hardware

    if s.kind == "fault":
        return fault_class(str(s.args["kind"])).hardware
    return step_hardware(s.kind)


def scenario_hardware(sc: Scenario) -> frozenset[str]:
    """Every capability of the machine's parts (rig/hardware/protocols.py) the scenario's
    steps and faults act through; the machine itself always needs a firmware host."""
    import rig.scenario.steps  # noqa: F401  (registers the step kinds)

    out = {"firmware_host"}
    for s in _walk(sc.steps):
        out |= _step_hardware(s)
    return frozenset(out)


def hardware_lacking(sc: Scenario, profile: Profile) -> str:
    """Why the profile's parts cannot run the scenario ("" when they can): each missing
    capability named, with what it is."""
    from rig.hardware.profile import profile_capabilities
    from rig.hardware.protocols import describe

    lacks = sorted(scenario_hardware(sc) - profile_capabilities(profile))
    if not lacks:
        return ""
    return (f"the profile {profile.name!r} has no part with "
            + ", ".join(f"{c} ({describe(c)})" for c in lacks))


def scenario_needs(sc: Scenario) -> frozenset[str]:
    """Every chain capability the scenario's steps and faults declare."""
    import rig.scenario.steps  # noqa: F401  (registers the step kinds)

    out: set[str] = set()
    for s in _walk(sc.steps):
        out |= _step_needs(s)
    return frozenset(out)
