"""The checkpoints the firmware reports are exactly the ones the rig knows, both ways.

A name the rig lists but the firmware never reports makes ``power.cut_at_checkpoint`` there
miss every time (as ``brew-failed`` once did); a name the firmware reports that the rig does
not list cannot be held. The firmware's names are read from its source: every
``checkpoint("...")`` call, and the outbox's names built from a kind and a stage
(``redeem-<stage>`` / ``tx-<stage>``), produced by running the outbox's own naming code on
every stage its call sites pass.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from firmware import rigport
from firmware.chain.outbox import Outbox
from rig.harness.checkpoints import CHECKPOINTS

FIRMWARE = Path(rigport.__file__).parent
NAME_BUILDERS = {"_cp"}   # methods that build a checkpoint name from their arguments


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    out = []
    for path in sorted(FIRMWARE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else \
                    func.id if isinstance(func, ast.Name) else None
                if called == name:
                    out.append((path, node))
    return out


def _inside(path: Path, call: ast.Call) -> str | None:
    """The function a call sits in."""
    tree = ast.parse(path.read_text(), str(path))
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and any(n is call or (
                isinstance(n, ast.Call) and n.lineno == call.lineno
                and n.col_offset == call.col_offset) for n in ast.walk(fn)):
            return fn.name
    return None


class _Port:
    def __init__(self) -> None:
        self.names: list[str] = []

    def checkpoint(self, name: str, **_data: Any) -> None:
        self.names.append(name)


def firmware_checkpoints() -> set[str]:
    names: set[str] = set()
    for path, call in _calls("checkpoint"):
        if call.args and isinstance(call.args[0], ast.Constant):
            names.add(call.args[0].value)
            continue
        where = f"{path.relative_to(FIRMWARE.parent)}:{call.lineno}"
        assert _inside(path, call) in NAME_BUILDERS, (
            f"{where} reports a checkpoint whose name is not a string literal; add its "
            f"builder to NAME_BUILDERS and teach this test how it names them")
    stages = {call.args[1].value for _, call in _calls("_cp")
              if len(call.args) > 1 and isinstance(call.args[1], ast.Constant)}
    assert stages, "no outbox stage found: has Outbox._cp been renamed?"
    port = _Port()
    for kind in ("redeem", "check_in"):
        for stage in stages:
            Outbox._cp(SimpleNamespace(port=port), kind, stage)  # type: ignore[arg-type]
    return names | set(port.names)


def test_the_rig_lists_every_checkpoint_the_firmware_reports():
    unknown = firmware_checkpoints() - set(CHECKPOINTS)
    assert not unknown, f"the firmware reports {sorted(unknown)}, which " \
                        "rig/harness/checkpoints.py does not list"


def test_the_firmware_reports_every_checkpoint_the_rig_lists():
    never = set(CHECKPOINTS) - firmware_checkpoints()
    assert not never, f"rig/harness/checkpoints.py lists {sorted(never)}, which the firmware " \
                      "never reports: a cut there always misses"


def test_the_firmware_accepts_exactly_the_rig_list_as_holds():
    assert set(rigport.CHECKPOINTS) == set(CHECKPOINTS)
    assert len(CHECKPOINTS) == len(set(CHECKPOINTS))


def test_the_outbox_names_redeems_and_other_transactions_apart():
    names = firmware_checkpoints()
    assert {"redeem-signed", "redeem-broadcast", "redeem-mined", "redeem-confirmed",
            "tx-signed", "tx-broadcast", "tx-confirmed"} <= names
    assert "tx-mined" not in names
