"""Command-line options the rig adds to pytest."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rig", "CoffeePay rig")
    group.addoption("--chain-url", default=None,
                    help="attach to this JSON-RPC node instead of starting anvil")
    group.addoption("--only-capability-skips", action="store_true", default=False,
                    help="fail the run when a test skips for anything but a capability the "
                         "attached node lacks; list the skips per capability")
    group.addoption("--max-capability-skips", type=int, default=None, metavar="N",
                    help="with --only-capability-skips: fail the run when more than N tests "
                         "skip (the known ones the node cannot serve)")
    group.addoption("--rig-seed", type=int, default=None,
                    help="the run's seed (default: chosen and reported by the rig)")
    group.addoption("--profile", default=None,
                    help="hardware profile: a name under profiles/ or a TOML path "
                         "(default: emulated, or the scenario's own)")
    group.addoption("--defect", action="append", default=[],
                    help="switch on a firmware defect (see firmware/config.py DEFECTS)")
    group.addoption("--rig-reruns", type=int, default=0, metavar="N",
                    help="re-run each failed scenario N times from the same seed and classify "
                         "it reproducible or intermittent (`rig run` asks for 3; 0: never)")
    group.addoption("--fleet-machines", type=int, default=2, metavar="N",
                    help="machines in the fleet's office day of tests/fleet/test_fleet_office_"
                         "day.py (the pytest side of `rig fleet`; default 2)")
    group.addoption("--fleet-shards", type=int, default=1, metavar="K",
                    help="split that fleet into K shards, one test each, each on a chain of "
                         "its own: with -n or over hosts they run side by side (default 1)")
    group.addoption("--rig-path", action="append", default=[], metavar="PATH",
                    help="collect PATH (relative to the checkout): how a run spread over "
                         "hosts names its tests (rig/pytestplugin/hosts.py)")
