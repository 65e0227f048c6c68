"""CPU and memory of a fleet's processes, read from /proc while the day runs.

Three parts share the machine: the rig process (with every emulated board, reader and phone
in it), the firmware processes (one per machine, forked from a warm interpreter, so their
pages are partly shared: memory is counted as PSS, each shared page split among its users)
and the chain node. A process's CPU is its cumulative utime + stime at the last sample that
saw it alive, so a firmware killed by a power cut still counts up to then.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS    # utime + stime


def _pss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        return None
    return None


def _rig_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class ResourceMeter:
    rig_cpu_start: float = field(default_factory=_rig_cpu)
    cpu: dict[str, dict[int, float]] = field(default_factory=lambda: {"firmware": {},
                                                                      "chain": {}})
    firmware_pss_peak: int = 0
    rig_pss_peak: int = 0

    def sample(self, firmware: Iterable[int | None], chain: int | None) -> None:
        pss = 0
        for role, pids in (("firmware", firmware), ("chain", [chain])):
            for pid in pids:
                if pid is None:
                    continue
                seconds = _cpu_seconds(pid)
                if seconds is None:
                    continue
                self.cpu[role][pid] = seconds
                if role == "firmware":
                    pss += _pss_bytes(pid) or 0
        self.firmware_pss_peak = max(self.firmware_pss_peak, pss)
        self.rig_pss_peak = max(self.rig_pss_peak, _pss_bytes(os.getpid()) or 0)

    def report(self, machines: int) -> dict[str, float]:
        """CPU-seconds of the whole run (each process's from its start, the rig's since the
        meter's) and peak PSS, in total and per machine."""
        spent = {role: sum(pids.values()) for role, pids in self.cpu.items()}
        spent["rig"] = _rig_cpu() - self.rig_cpu_start
        n = max(machines, 1)
        return {
            **{f"cpu_{role}_s": round(v, 2) for role, v in spent.items()},
            "cpu_total_s": round(sum(spent.values()), 2),
            "cpu_per_machine_s": round(sum(spent.values()) / n, 3),
            "firmware_pss_peak_mb": round(self.firmware_pss_peak / 2**20, 1),
            "rig_pss_peak_mb": round(self.rig_pss_peak / 2**20, 1),
            "memory_per_machine_mb": round((self.firmware_pss_peak + self.rig_pss_peak)
                                           / n / 2**20, 2),
        }
