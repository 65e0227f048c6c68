"""pytest plugin of the rig: command-line options, chain fixtures, markers, scenario files.

One anvil per pytest(-xdist) worker, started lazily by the first test that needs a chain;
per-test isolation by snapshot/revert. ``--chain-url`` attaches to a node the rig did not
start instead; tests marked ``anvil_only`` then skip. ``scenarios/*.yaml`` are test items.
"""

from rig.pytestplugin.chain import (
    anvil_only_gate,
    artifacts,
    chain,
    isolated_chain,
    platform,
    platform_session,
)
from rig.pytestplugin.machine import machine_factory
from rig.pytestplugin.options import pytest_addoption
from rig.pytestplugin.scenarios import (
    pytest_collect_file,
    pytest_sessionfinish,
    pytest_sessionstart,
)
from rig.pytestplugin.seed import (
    pytest_configure,
    pytest_configure_node,
    pytest_report_header,
    rig_seed,
    rng,
)
from rig.report.allure_hooks import pytest_runtest_makereport, pytest_unconfigure  # noqa: F401

__all__ = [
    "anvil_only_gate", "artifacts", "chain", "isolated_chain", "machine_factory", "platform",
    "platform_session", "pytest_addoption", "pytest_collect_file", "pytest_configure",
    "pytest_configure_node", "pytest_report_header", "pytest_sessionfinish",
    "pytest_sessionstart", "rig_seed", "rng",
]
