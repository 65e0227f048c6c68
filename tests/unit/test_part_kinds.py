"""Part kinds register themselves: every module in rig/hardware/parts/ is imported by the
package and registers at least one kind, so adding one is adding one file."""

from __future__ import annotations

import pkgutil

from rig.hardware import kinds, parts
from rig.hardware.registry import _KINDS


def test_every_module_of_the_parts_package_registers_a_kind():
    modules = {f"{parts.__name__}.{m.name}" for m in pkgutil.iter_modules(parts.__path__)}
    registered_by = {factory.__module__ for factory in _KINDS.values()}
    assert modules and modules <= registered_by, modules - registered_by


def test_the_emulated_default_has_a_kind_for_every_part():
    assert {p for p, _ in kinds()} == {"brew", "nfc", "power", "sensors"}
