"""``--only-capability-skips``: a run against an attached node may skip only what the node
cannot do (and, with ``--max-capability-skips N``, no more than the N known skips).

Each skip must name a capability the node lacks (rig.pytestplugin.chain's reason); any other
skip, or a test that errs or fails, fails the run as usual. The summary lists the skips per
capability, so a CI log shows what the node could not be asked.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from rig.pytestplugin.chain import SKIP_PREFIX

_SKIPS: list[tuple[str, str]] = []   # (node id, reason) of this process's skipped tests
_CAPS = re.compile(rf"{re.escape(SKIP_PREFIX)} ([a-z_, ]+):")


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def record(report: pytest.TestReport) -> None:
    """Every skipped test (on the xdist controller: every worker's)."""
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPS.append((report.nodeid, _reason(report)))


def summarize() -> tuple[Counter[str], list[tuple[str, str]]]:
    """Skips per missing capability, and the skips that name none."""
    per_cap: Counter[str] = Counter()
    other = []
    for nodeid, reason in _SKIPS:
        m = _CAPS.search(reason)
        if m is None:
            other.append((nodeid, reason))
            continue
        per_cap[m.group(1)] += 1
    return per_cap, other


def terminal_summary(reporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not config.getoption("--only-capability-skips"):
        return
    per_cap, other = summarize()
    total = sum(per_cap.values())
    reporter.section("skips by missing node capability")
    for caps, n in sorted(per_cap.items()):
        reporter.line(f"{n:4d}  {caps}")
    reporter.line(f"{total} skipped for a missing capability, {len(other)} for anything else")
    most = config.getoption("--max-capability-skips")
    if most is not None and total > most:
        reporter.line(f"  MORE THAN THE {most} KNOWN: a test or scenario asks for a capability "
                      "it did not need before", red=True)
    for nodeid, reason in other:
        reporter.line(f"  NOT ALLOWED: {nodeid}: {reason}", red=True)


def session_finish(session: pytest.Session) -> None:
    cfg = session.config
    if not cfg.getoption("--only-capability-skips") or hasattr(cfg, "workerinput"):
        return
    per_cap, other = summarize()
    most = cfg.getoption("--max-capability-skips")
    too_many = most is not None and sum(per_cap.values()) > most
    if (other or too_many) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
