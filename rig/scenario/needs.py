"""What a scenario asks of the chain node: the capabilities its steps and faults declare.

On a node that lacks one, the scenario is skipped with the capability named before anything
is deployed, never run and failed (and never retried: the node will lack it again).
"""

from __future__ import annotations

from collections.abc import Iterable

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


def scenario_needs(sc: Scenario) -> frozenset[str]:
    """Every chain capability the scenario's steps and faults declare."""
    import rig.scenario.steps  # noqa: F401  (registers the step kinds)

    out: set[str] = set()
    for s in _walk(sc.steps):
        out |= _step_needs(s)
    return frozenset(out)
