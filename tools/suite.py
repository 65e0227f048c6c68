"""Parts of a CI suite run one after another, each a command; a summary of their wall times.

Shared by the suites that prove the rig somewhere other than its default (Hardhat's node,
two SSH hosts): ``Part`` is one command, ``run_parts`` runs them and prints the table.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Part:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    code: int | None = None


def run_part(part: Part) -> None:
    print(f"\n=== {part.name}: {' '.join(part.argv)}", flush=True)
    t = time.monotonic()
    part.code = subprocess.run(part.argv, cwd=ROOT, env={**os.environ, **part.env}).returncode
    part.seconds = time.monotonic() - t


def summary(title: str, parts: list[Part], started: float) -> int:
    """Print each part's outcome and wall time; 0 when every part passed, else 1."""
    print(f"\n=== {title}")
    for part in parts:
        print(f"  {part.name:<13} {'ok    ' if part.code == 0 else 'FAILED'} "
              f"{part.seconds:7.1f} s")
    print(f"  {'total':<13}        {time.monotonic() - started:7.1f} s")
    return 0 if all(p.code == 0 for p in parts) else 1
