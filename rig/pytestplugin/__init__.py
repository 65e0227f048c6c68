"""pytest plugin of the rig: command-line options, chain fixtures, markers, scenario files.

One anvil per pytest(-xdist) worker, started lazily by the first test that needs a chain;
per-test isolation by snapshot/revert. ``--chain-url`` attaches to a node the rig did not
start instead; tests marked ``needs(capability)`` or ``anvil_only`` skip there when the node
lacks it (rig/pytestplugin/chain.py). ``scenarios/*.yaml`` are test items.
"""

import pytest

from rig.pytestplugin import skips
from rig.pytestplugin.chain import (
    artifacts,
    chain,
    isolated_chain,
    platform,
    platform_session,
    pytest_runtest_setup,
)
from rig.pytestplugin.hosts import pytest_load_initial_conftests
from rig.pytestplugin.machine import machine_factory
from rig.pytestplugin.options import pytest_addoption
from rig.pytestplugin.scenarios import pytest_collect_file, pytest_sessionstart
from rig.pytestplugin.scenarios import pytest_sessionfinish as _scenarios_sessionfinish
from rig.pytestplugin.seed import (
    pytest_configure,
    pytest_configure_node,
    pytest_report_header,
    rig_seed,
    rng,
)
from rig.report.allure_hooks import pytest_runtest_makereport, pytest_unconfigure  # noqa: F401


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    skips.record(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    skips.terminal_summary(terminalreporter, config)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _scenarios_sessionfinish(session, exitstatus)
    skips.session_finish(session)


__all__ = [
    "artifacts",
    "chain",
    "isolated_chain",
    "machine_factory",
    "platform",
    "platform_session",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_configure_node",
    "pytest_load_initial_conftests",
    "pytest_report_header",
    "pytest_runtest_logreport",
    "pytest_runtest_setup",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "rig_seed",
    "rng",
]
