"""The open-file limit a fleet needs, raised before the day rather than hit in its middle.

Each machine holds about twenty descriptors in the rig process (its pseudo-terminals, the
reader's socket, the rig port, pipes to its firmware): a hundred machines need ~2,000, and a
login shell's soft limit is often 1,024. The soft limit may be raised up to the hard one
without privileges; past the hard one the run stops at once with what to change.
"""

from __future__ import annotations

import resource

FILES_PER_MACHINE = 30     # measured ~20 at 100 machines, with room for restarts
FILES_BASE = 256           # the rig itself, the node's connections, the live page


class FleetLimitError(RuntimeError):
    """The host cannot give a fleet this size the descriptors it needs."""


def files_needed(machines: int) -> int:
    return FILES_BASE + FILES_PER_MACHINE * machines


def ensure_open_files(machines: int) -> int:
    """Raise the soft RLIMIT_NOFILE to what ``machines`` need; the limit now in force."""
    need = files_needed(machines)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft >= need:
        return soft
    if hard != resource.RLIM_INFINITY and hard < need:
        raise FleetLimitError(
            f"{machines} machines need about {need} open files, but this host's hard limit "
            f"is {hard}: raise it (`ulimit -Hn {need}` as root, or LimitNOFILE in the "
            f"service) or run fewer machines (at most {(hard - FILES_BASE) // FILES_PER_MACHINE})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return need
