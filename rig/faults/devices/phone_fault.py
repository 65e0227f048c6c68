"""Common ground of the NFC faults: which phone misbehaves, and how its switch is set.

Each NFC kind flips one switch of the phone's frozen ``Behaviour``; heal puts that switch
back to a well-behaved phone's value, so faults on different switches of one phone stack
and heal independently (one fault alone heals to ``Behaviour()``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from emulators.phone import Behaviour, Phone
from rig.faults.base import Fault, FaultError
from rig.faults.context import FaultContext


@dataclass
class PhoneFault(Fault):
    hardware: ClassVar[frozenset[str]] = frozenset({"phone_presenter"})
    phone: int = 1          # 1-based index into machine.phones

    def __post_init__(self) -> None:
        self.require(self.phone >= 1, f"phone must be a 1-based phone index, got {self.phone}")

    def switches(self) -> dict[str, Any]:
        """The ``Behaviour`` fields this fault sets, with their misbehaving values."""
        raise NotImplementedError

    def target(self, ctx: FaultContext) -> Phone:
        phones = ctx.machine.phones
        if self.phone > len(phones):
            raise FaultError(f"{self.kind}: phone {self.phone} does not exist; the machine "
                             f"has {len(phones)} phone(s), numbered from 1")
        return phones[self.phone - 1]

    def fire(self, ctx: FaultContext) -> None:
        phone = self.target(ctx)
        try:
            phone.behaviour = dataclasses.replace(phone.behaviour, **self.switches())
        except ValueError as e:
            raise FaultError(f"{self.kind}: cannot combine with phone {self.phone}'s current "
                             f"behaviour {phone.behaviour.to_dict()}: {e}") from e

    def heal(self, ctx: FaultContext) -> None:
        phone = self.target(ctx)
        good = Behaviour()
        phone.behaviour = dataclasses.replace(
            phone.behaviour, **{name: getattr(good, name) for name in self.switches()})
