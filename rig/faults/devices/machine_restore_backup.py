"""machine.restore_backup — the machine's SD card is replaced by an old backup of itself.

The backup is taken earlier by the scenario's ``backup`` step (``MachineRig.take_backup``).
Everything since is forgotten by the machine but not by the phones: they refuse to re-sign
old sequences (69 86) and GET LAST RECEIPT brings the newest receipt back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rig.effects import Effect
from rig.faults.base import Fault, FaultError
from rig.faults.context import FaultContext
from rig.faults.registry import register

LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@register
@dataclass
class MachineRestoreBackup(Fault):
    hardware = frozenset({"firmware_host", "card_copies"})
    kind = "machine.restore_backup"
    # A power cycle: off from fire, on again once booted from the backup.
    effects = frozenset({Effect.CUTS_POWER, Effect.REPLACES_STORAGE})
    ends_on = frozenset({"restored"})
    family = "machine"
    description = ("cut the power, put back the SD card backup named `label` (taken by an "
                   "earlier backup step) and boot; heal is nothing (the machine must recover)")
    label: str = "backup"

    def __post_init__(self) -> None:
        self.require(LABEL.fullmatch(self.label) is not None,
                     f"label must be 1-64 letters, digits, '.', '_' or '-' starting with a "
                     f"letter or digit, got {self.label!r}")

    def fire(self, ctx: FaultContext) -> None:
        m = ctx.machine
        backups = m.workdir / "backups"
        if not (backups / self.label).is_dir():
            have = sorted(p.name for p in backups.iterdir()) if backups.is_dir() else []
            raise FaultError(f"{self.kind}: no backup {self.label!r} under {backups}; take it "
                             f"first with a backup step (MachineRig.take_backup); existing: "
                             f"{', '.join(have) or 'none'}")
        m.restore_backup(self.label)
        ctx.timeline.record(m, self.kind, "restored", self.params(),
                            note=f"SD card replaced by backup {self.label!r}; rebooted")
