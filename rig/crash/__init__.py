"""Crash-state exploration of the firmware's SQLite store (ALICE / SQLite crash-VFS style).

Record the file operations of a payment-path workload, build every crash state the SD card
model allows from them (prefixes, dropped / partial / torn / reordered unsynced writes),
reopen each as the firmware does at boot and check durability of what was acknowledged and
atomicity of the rest. ``python -m bench.crash_states`` runs it.
"""

from rig.crash.errors import CrashExplorationError
from rig.crash.explore import Exploration, ExploreConfig, Violation, explore
from rig.crash.states import KINDS, CrashState, Limits, generate_states
from rig.crash.trace import AppOp, FileOp, OpKind, Trace
from rig.crash.workload import DEFECTS, record_workload

__all__ = [
    "DEFECTS",
    "KINDS",
    "AppOp",
    "CrashExplorationError",
    "CrashState",
    "Exploration",
    "ExploreConfig",
    "FileOp",
    "Limits",
    "OpKind",
    "Trace",
    "Violation",
    "explore",
    "generate_states",
    "record_workload",
]
