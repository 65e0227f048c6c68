"""The oracle: every invariant of protocol/invariants.md, decided from ground truth only.

``check(history)`` returns an ``OracleReport``: the channel's ledger and, per invariant, an
ok / fail / info verdict with its violations and their evidence (docs/oracle.md).
"""

from rig.oracle.checker import check
from rig.oracle.errors import HistoryError
from rig.oracle.ledger import Ledger
from rig.oracle.report import OracleReport, Verdict, Violation

__all__ = ["HistoryError", "Ledger", "OracleReport", "Verdict", "Violation", "check"]
