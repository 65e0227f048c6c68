"""What people do at the machine: choose a product, hold a phone to the reader.

Through the capability protocols only (the panel, the reader, the host's power), so the
same actions drive an emulated machine and a bench.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rig.harness.control import ControlError

if TYPE_CHECKING:
    from emulators.phone import Phone
    from rig.harness.machine_rig import MachineRig

DARK_POLL = 0.05   # seconds between looks at the Pi's power while a phone is on the reader
RETAPS = 2         # a customer whose phone the reader never picked up holds it again, twice


class TapNotBegun(ControlError):
    """The phone left the field and the firmware never began a tap: the reader did not pick
    the phone up (a failed activation, as real readers have). A person holds it again."""


@dataclass
class TapOutcome:
    phone: str
    verdict: str
    reason: str
    brew_id: int | None
    sequence: int | None
    ended: str
    retaps: int = 0            # times the phone was held again after the reader missed it


@dataclass
class People:
    machine: MachineRig

    def select(self, product: int) -> None:
        self.machine.panel.select_product(product)

    def tap(self, phone: Phone, product: int | None = None,
            timeout: float = 20.0, retaps: int = RETAPS) -> TapOutcome:
        """Choose ``product`` on the panel, hold ``phone`` to the reader until the machine
        finished with it, and report the machine's verdict. When the Pi loses power during
        the tap the phone is taken away at once, as a person would from a dark machine, and
        the verdict is ``interrupted``. When the reader never picked the phone up, it is held
        again, up to ``retaps`` times (counted in the outcome); a firmware whose reader stays
        deaf still fails the tap."""
        for attempt in range(retaps + 1):
            try:
                outcome = self._tap_once(phone, product, timeout)
            except TapNotBegun:
                if attempt == retaps:
                    raise
                continue
            outcome.retaps = attempt
            return outcome
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _tap_once(self, phone: Phone, product: int | None, timeout: float) -> TapOutcome:
        if product is not None:
            self.select(product)
        mark = self.machine.control.mark()
        with self._phone_leaves_a_dark_reader() as went_dark:
            ended = str(getattr(end := self.machine.reader.tap(phone, timeout), "value", end))
        deadline = time.monotonic() + timeout
        while True:
            try:
                cp = self.machine.control.wait_for("tap-done", timeout=0.25, after=mark)
                break
            except ControlError:
                if went_dark.is_set() or not self.machine.powered:  # the power went meanwhile
                    return TapOutcome(phone.address, "interrupted", "the machine lost power",
                                      None, None, ended)
                if time.monotonic() > deadline:
                    began = any(c.name == "tap"
                                for c in list(self.machine.control.checkpoints)[mark:])
                    raise (ControlError if began else TapNotBegun)(
                        f"the firmware reported no tap-done within {timeout} s after the "
                        f"phone left the field ({ended}){'' if began else ', no tap begun'}; "
                        f"its reader: {self._reader_stats()}") from None
        d = cp.data
        return TapOutcome(phone.address, d["verdict"], d.get("reason", ""), d.get("brew_id"),
                          d.get("sequence"), ended)

    def _reader_stats(self) -> str:
        """The firmware's NFC counters: did it poll, find the phone, fail to activate it?"""
        try:
            return str(self.machine.status().get("nfc", "not reported"))
        except ControlError as e:
            return f"unknown ({e})"

    @contextlib.contextmanager
    def _phone_leaves_a_dark_reader(self) -> Iterator[threading.Event]:
        """While the block runs, take the phone off the reader as soon as the Pi has no power
        (or was power-cycled); the event says whether that happened."""
        went_dark, done = threading.Event(), threading.Event()
        host, reader = self.machine.host, self.machine.reader
        boots = host.boots

        def watch() -> None:
            while True:
                if not host.powered or host.boots != boots:
                    went_dark.set()
                    reader.remove()
                    return
                if done.wait(DARK_POLL):
                    return

        watcher = threading.Thread(target=watch, name="phone-leaves-dark-reader", daemon=True)
        watcher.start()
        try:
            yield went_dark
        finally:
            done.set()
            watcher.join()
