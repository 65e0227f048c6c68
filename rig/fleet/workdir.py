"""A fleet run's directory starts empty.

A machine built over an earlier run's SD card would start from that run's receipts, signed
on another chain: every phone then refuses to sign on top of them (the predecessor does not
recover to a signer of this channel). So an earlier fleet run's output is cleared first,
and a directory holding anything else is refused rather than emptied.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_RUN_FILES = re.compile(r"^(m\d{3,}(\.history\.json)?|anvil\.(log|state\.json)|fleet\.json|"
                        r"policy-\d+|tradeoff\.svg)$")


class FleetWorkdirError(RuntimeError):
    """The run's directory holds files no fleet run made."""


def fresh_workdir(path: Path) -> Path:
    """``path``, created or emptied of an earlier fleet run's output."""
    if path.exists():
        foreign = sorted(p.name for p in path.iterdir() if not _RUN_FILES.match(p.name))
        if foreign:
            raise FleetWorkdirError(
                f"{path} holds files no fleet run made ({', '.join(foreign[:5])}): give an "
                f"empty or new directory for the run's output")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
