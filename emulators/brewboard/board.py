"""The emulated brew board: a thread answering protocol v1 on a pseudo-terminal.

It plays the microcontroller: one brew at a time, each lasting the product's nominal time
times ``time_scale``; every accepted brew id goes to the NV log before the ACK, every
finished coffee to the ground-truth dispense log before the DONE. ``close()`` is a power
cut: a brew still running stays RUNNING in flash and the next board object built on the
same file reports it as FAIL POWER_LOSS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from emulators.brewboard import replies
from emulators.brewboard.commands import Brew, Command, Ping, Query, Status, parse_command
from emulators.brewboard.dispenses import DispenseLog, DispenseRecord
from emulators.brewboard.errors import BoardCrashed, CommandError
from emulators.brewboard.faults.base import BoardFault, FaultEvent
from emulators.brewboard.frame import MAX_LINE
from emulators.brewboard.nvlog import NvEntry, NvLog
from emulators.brewboard.products import DEFAULT_PRODUCTS, Product
from emulators.brewboard.pty_link import PtyLink
from emulators.brewboard.replies import FailReason, NakReason
from emulators.ready import ready
from emulators.realtime import answer_promptly, serve_in_time

_MAX_SLEEP = 0.25
_VERSION = re.compile(r"[0-9A-Za-z._-]{1,16}")


@dataclass(frozen=True)
class RunningBrew:
    """The brew in progress; ``ends_at`` is on the monotonic clock."""

    brew_id: int
    product_id: int
    started_at: float
    ends_at: float
    fail: FailReason | None


def _verb(line: bytes) -> str:
    return line.split(b" ", 1)[0].decode("ascii", errors="replace")


class EmulatedBrewBoard:
    """A brew board on a pty; open ``port`` with pyserial as if it were ``/dev/ttyUSB0``.

    ``nv_path`` is the board's flash (created if missing). ``dispense_log_path``, when
    given, persists the ground-truth dispense log as JSON lines. ``clock`` stamps records
    and fault events; durations always run on real monotonic time. A failing brew stops
    after ``fail_fraction`` of its duration (the pump runs dry, the door switch trips).
    """

    def __init__(self, nv_path: str | Path, *, products: Mapping[int, Product] | None = None,
                 time_scale: float = 0.01, nv_capacity: int = 32,
                 firmware_version: str = "emu-1.0",
                 dispense_log_path: str | Path | None = None,
                 clock: Callable[[], float] = time.time, fail_fraction: float = 0.1):
        if not (time_scale > 0 and math.isfinite(time_scale)):
            raise ValueError(f"time_scale must be a positive finite factor, got {time_scale}")
        if not 0 <= fail_fraction <= 1:
            raise ValueError(f"fail_fraction must be within 0..1, got {fail_fraction}")
        self.products = dict(DEFAULT_PRODUCTS if products is None else products)
        for pid, product in self.products.items():
            if pid != product.product_id:
                raise ValueError(f"product table key {pid} does not match {product}")
        self.time_scale = time_scale
        self.fail_fraction = fail_fraction
        self.firmware_version = firmware_version
        if not _VERSION.fullmatch(firmware_version):
            raise ValueError(f"firmware_version {firmware_version!r} must match "
                             f"{_VERSION.pattern} to fit the STAT reply")
        self._clock = clock
        self._nv = NvLog(nv_path, nv_capacity)
        self.interrupted_at_boot = tuple(self._nv.boot())
        self.dispenses = DispenseLog(dispense_log_path)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._faults: list[BoardFault] = []
        self._events: list[FaultEvent] = []
        self._current: RunningBrew | None = None
        self._rx = bytearray()
        self._rx_overlong = False
        self._stop = False
        self._crash: BaseException | None = None
        self._link = PtyLink()
        self.port = self._link.port
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        answer_promptly()
        self._thread = threading.Thread(target=self._run, name=f"brewboard {self.port}",
                                        daemon=True)
        self._thread.start()

    # -- control surface for the rig ----------------------------------------------------

    def inject(self, fault: BoardFault) -> BoardFault:
        """Activate ``fault`` now; returns it so the caller can heal or inspect it."""
        with self._lock:
            self._check()
            fault.on_inject(time.monotonic())
            self._faults.append(fault)
        self._wake()
        return fault

    def heal(self, name: str | None = None) -> int:
        """Remove active faults named ``name`` (all when None); returns how many."""
        with self._lock:
            self._check()
            keep = [f for f in self._faults if name is not None and f.name != name]
            healed = len(self._faults) - len(keep)
            self._faults = keep
        self._wake()
        return healed

    def active_faults(self) -> tuple[BoardFault, ...]:
        with self._lock:
            return tuple(self._faults)

    def fault_events(self) -> tuple[FaultEvent, ...]:
        """Every time a fault actually changed the board's behaviour, oldest first."""
        with self._lock:
            return tuple(self._events)

    def nv_entries(self) -> tuple[NvEntry, ...]:
        """A copy of the flash log, oldest first."""
        with self._lock:
            return tuple(dataclasses.replace(e) for e in self._nv.entries.values())

    @property
    def resets(self) -> int:
        return self._nv.resets

    @property
    def current_brew(self) -> int | None:
        """The running brew id, or None when idle."""
        with self._lock:
            return None if self._current is None else self._current.brew_id

    def wait_idle(self, timeout: float) -> bool:
        """Block until no brew is running; False if still busy after ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._current is None or self._stop,
                                          timeout) and self._current is None

    def close(self) -> None:
        """Cut the board's power: stop the thread, drop unsent bytes, close the pty."""
        with self._lock:
            already, self._stop = self._stop, True
            self._changed.notify_all()
        if already:
            return
        self._wake()
        self._thread.join(timeout=10)
        self._link.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        if self._crash is not None:
            raise BoardCrashed(f"brew board on {self.port} crashed: {self._crash!r}") \
                from self._crash

    def __enter__(self) -> EmulatedBrewBoard:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the board's thread -------------------------------------------------------------

    def _check(self) -> None:
        if self._crash is not None:
            raise BoardCrashed(f"brew board on {self.port} crashed: {self._crash!r}") \
                from self._crash

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        serve_in_time()
        try:
            while True:
                with self._lock:
                    if self._stop:
                        return
                    now = time.monotonic()
                    self._tick(now)
                    sleep = self._sleep_for(now)
                    writers = [self._link.fileno()] if self._link.backlog else []
                readable, writable = ready([self._link.fileno(), self._wake_r], writers,
                                           sleep)
                with self._lock:
                    if self._stop:
                        return
                    if self._wake_r in readable:
                        with contextlib.suppress(BlockingIOError):
                            os.read(self._wake_r, 4096)
                    if self._link.fileno() in readable:
                        self._receive(self._link.read())
                    if writable:
                        self._link.flush()
        except BaseException as exc:
            with self._lock:
                self._crash = exc
                self._changed.notify_all()

    def _sleep_for(self, now: float) -> float:
        deadlines = [f.changes_at() for f in self._faults]
        if self._current is not None:
            deadlines.append(self._current.ends_at)
        soonest = min((d for d in deadlines if math.isfinite(d)), default=now + _MAX_SLEEP)
        return min(_MAX_SLEEP, max(0.0, soonest - now))

    def _tick(self, now: float) -> None:
        self._prune(now)
        brew = self._current
        if brew is None or now < brew.ends_at or any(f.holds_brew() for f in self._faults):
            return
        self._current = None
        if brew.fail is not None:
            self._nv.finish(brew.brew_id, "FAIL", brew.fail)
            self._send(replies.fail(brew.brew_id, brew.product_id, brew.fail))
        else:
            self.dispenses.append(DispenseRecord(
                seq=self._nv.dispensed + 1, brew_id=brew.brew_id, product_id=brew.product_id,
                started_at=brew.started_at, ended_at=self._clock()))
            entry = self._nv.finish(brew.brew_id, "DONE")
            assert entry.dispense_no is not None
            self._send(replies.done(brew.brew_id, brew.product_id, entry.dispense_no))
        self._changed.notify_all()

    def _prune(self, now: float) -> None:
        self._faults = [f for f in self._faults if not f.spent(now)]

    def _record(self, fault: BoardFault, hook: str, detail: str) -> None:
        self._events.append(FaultEvent(self._clock(), fault.name, hook, detail))

    def _receive(self, data: bytes) -> None:
        self._rx += data
        while True:
            end = self._rx.find(b"\n")
            if end < 0:
                if len(self._rx) > MAX_LINE + 1:
                    self._rx.clear()
                    self._rx_overlong = True
                return
            line = bytes(self._rx[:end])
            del self._rx[:end + 1]
            if self._rx_overlong or len(line) > MAX_LINE + 1:
                self._rx_overlong = False
                self._send(replies.err(None, replies.ErrCode.TOOLONG))
                continue
            self._handle_line(line)

    def _handle_line(self, line: bytes) -> None:
        now = time.monotonic()
        verb = _verb(line)
        for fault in list(self._faults):
            changed = fault.on_rx_line(line, verb, now)
            if changed != line:
                self._record(fault, "rx", f"{line!r} -> {changed!r}")
            if changed is None:
                self._prune(now)
                return
            line = changed
        self._prune(now)
        try:
            command = parse_command(line)
        except CommandError as exc:
            self._send(replies.err(exc.tag, exc.code))
            return
        self._dispatch(command, now)

    def _dispatch(self, command: Command, now: float) -> None:
        if isinstance(command, Brew):
            self._brew(command, now)
        elif isinstance(command, Query):
            self._send(self._result(command))
        elif isinstance(command, Status):
            current = 0 if self._current is None else self._current.brew_id
            self._send(replies.stat(
                command.tag, busy=self._current is not None, firmware=self.firmware_version,
                resets=self._nv.resets, dispensed=self._nv.dispensed,
                high_water=self._nv.high_water, current=current))
        elif isinstance(command, Ping):
            self._send(replies.pong(command.tag))

    def _brew(self, cmd: Brew, now: float) -> None:
        known = self._nv.lookup(cmd.brew_id)
        if known is not None:
            if known.product_id != cmd.product_id:
                self._send(replies.nak(cmd.tag, cmd.brew_id, NakReason.CONFLICT))
                return
            self._send(replies.ack(cmd.tag, cmd.brew_id))
            if known.state == "DONE":
                assert known.dispense_no is not None
                self._send(replies.done(known.brew_id, known.product_id, known.dispense_no))
            elif known.state == "FAIL":
                assert known.reason is not None
                self._send(replies.fail(known.brew_id, known.product_id,
                                        FailReason(known.reason)))
            return
        refusal = (NakReason.STALE if cmd.brew_id <= self._nv.high_water
                   else NakReason.BUSY if self._current is not None
                   else NakReason.BAD_PRODUCT if cmd.product_id not in self.products
                   else None)
        if refusal is not None:
            self._send(replies.nak(cmd.tag, cmd.brew_id, refusal))
            return
        fail = None
        for fault in self._faults:
            fail = fault.on_brew_start(cmd.brew_id, cmd.product_id)
            if fail is not None:
                self._record(fault, "brew", f"brew {cmd.brew_id} fails with {fail}")
                break
        self._prune(now)
        duration = self.products[cmd.product_id].nominal_seconds * self.time_scale
        self._nv.start(cmd.brew_id, cmd.product_id)
        self._current = RunningBrew(
            cmd.brew_id, cmd.product_id, self._clock(),
            now + (duration * self.fail_fraction if fail else duration), fail)
        self._send(replies.ack(cmd.tag, cmd.brew_id))

    def _result(self, cmd: Query) -> bytes:
        entry = self._nv.lookup(cmd.brew_id)
        if entry is None:
            state = "EXPIRED" if self._nv.forgotten(cmd.brew_id) else "UNKNOWN"
            return replies.result(cmd.tag, cmd.brew_id, state)
        if entry.state == "DONE":
            return replies.result(cmd.tag, cmd.brew_id, "DONE", entry.product_id,
                                  entry.dispense_no)
        if entry.state == "FAIL":
            return replies.result(cmd.tag, cmd.brew_id, "FAIL", entry.product_id, entry.reason)
        return replies.result(cmd.tag, cmd.brew_id, "RUNNING", entry.product_id)

    def _send(self, line: bytes) -> None:
        now = time.monotonic()
        verb = _verb(line)
        for fault in list(self._faults):
            changed = fault.on_tx_line(line, verb, now)
            if changed != line:
                self._record(fault, "tx", f"{line!r} -> {changed!r}")
            if changed is None:
                self._prune(now)
                return
            line = changed
        self._prune(now)
        self._link.write(line)
