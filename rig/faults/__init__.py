"""The fault catalog: one fault kind per file, registered by name.

``make_fault(kind, params)`` builds one with validated parameters; ``catalog()`` lists them
(``rig faults``). Importing this package imports every family so the catalog is complete.
"""

import importlib
import pkgutil

from rig.faults.base import Fault, FaultError
from rig.faults.context import FaultContext, Timeline
from rig.faults.registry import catalog, fault_class, kinds, make_fault

for _m in pkgutil.walk_packages(__path__, prefix=__name__ + "."):
    if _m.name.rsplit(".", 1)[-1] not in ("base", "registry", "context"):
        importlib.import_module(_m.name)

__all__ = ["Fault", "FaultContext", "FaultError", "Timeline", "catalog", "fault_class",
           "kinds", "make_fault"]
