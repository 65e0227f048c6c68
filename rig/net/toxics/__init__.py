"""Toxics: one per file, registered by kind (latency, bandwidth, slicer, blackhole, ...).

Importing this package imports every toxic so the registry is complete.
"""

import importlib
import pkgutil

from rig.net.toxics.base import (
    BOTH,
    DOWNSTREAM,
    STREAMS,
    UPSTREAM,
    GoSilent,
    HangUp,
    LinkAction,
    Message,
    ResetLink,
    Toxic,
    ToxicError,
)
from rig.net.toxics.registry import make_toxic, toxic_class, toxic_kinds

for _m in pkgutil.iter_modules(__path__, prefix=__name__ + "."):
    if _m.name.rsplit(".", 1)[-1] not in ("base", "registry"):
        importlib.import_module(_m.name)

__all__ = ["BOTH", "DOWNSTREAM", "STREAMS", "UPSTREAM", "GoSilent", "HangUp", "LinkAction",
           "Message", "ResetLink", "Toxic", "ToxicError", "make_toxic", "toxic_class",
           "toxic_kinds"]
