"""The firmware's driver for the brew board on a serial line (protocol v1).

Every command carries a fresh tag and every direct reply echoes it, so a late answer is
never taken for a newer one. BREW is idempotent on the board, which is what makes resending
the same brew id after a lost or garbled ACK safe: the board never dispenses an id twice.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from types import TracebackType

import serial

from firmware.brew.errors import (
    BrewBoardClosed,
    BrewBoardProtocolError,
    BrewBoardTimeout,
    BrewBoardUnavailable,
    BrewCodecError,
)
from firmware.brew.frame import MAX_LINE
from firmware.brew.lineio import LineReader
from firmware.brew.messages import (
    U32,
    Ack,
    BoardStatus,
    Done,
    Err,
    Fail,
    Nak,
    Pong,
    Reply,
    Result,
    encode_brew,
    encode_ping,
    encode_query,
    encode_status,
    parse_reply,
)
from firmware.brew.outcome import BrewOutcome, BrewState
from firmware.brew.stats import LinkStats

_REMEMBERED_EVENTS = 64
_TICK = 0.02


class BrewBoard:
    """Blocking client of one brew board.

    ``timeout`` is how long one attempt waits for a direct reply, ``attempts`` how many
    times a command is sent before ``BrewBoardTimeout``. ``brew_timeout`` bounds the wait for
    DONE/FAIL after the ACK; while waiting, the client asks with QUERY every
    ``poll_interval`` seconds (None: never) so a lost DONE line costs one poll, not a brew.
    Safe to share between threads (calls are serialised).
    """

    def __init__(self, port: str, baudrate: int = 115200, timeout: float = 0.5, *,
                 attempts: int = 3, brew_timeout: float = 180.0,
                 poll_interval: float | None = 2.0, first_tag: int = 1):
        if not timeout > 0 or not brew_timeout > 0:
            raise ValueError(f"timeout ({timeout}) and brew_timeout ({brew_timeout}) must be "
                             f"positive seconds")
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        if poll_interval is not None and not poll_interval > 0:
            raise ValueError(f"poll_interval must be positive seconds or None, "
                             f"got {poll_interval}")
        if not 0 <= first_tag <= U32:
            raise ValueError(f"first_tag must be in 0..{U32}, got {first_tag}")
        self.port = port
        self._timeout = timeout
        self._attempts = attempts
        self._brew_timeout = brew_timeout
        self._poll_interval = poll_interval
        self._tag = first_tag
        self._lock = threading.Lock()
        self._events: OrderedDict[int, BrewOutcome] = OrderedDict()
        self.stats = LinkStats()
        try:
            self._serial = serial.serial_for_url(
                port, baudrate=baudrate, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
                stopbits=serial.STOPBITS_ONE, timeout=min(_TICK, timeout),
                write_timeout=timeout)
            self._serial.reset_input_buffer()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise BrewBoardUnavailable(f"cannot open brew board port {port!r} at {baudrate} "
                                       f"baud: {exc}") from exc
        self._reader = LineReader(self._serial, MAX_LINE)
        self._closed = False

    # -- public API ---------------------------------------------------------------------

    def brew(self, brew_id: int, product_id: int, *, max_wait: float | None = None,
             on_ack: Callable[[], None] | None = None) -> BrewOutcome:
        """Dispense ``product_id`` as ``brew_id`` and block until the board reports its end.

        Returns DONE or FAILED, or REJECTED when the board refused to start (nothing was
        dispensed; the same id may be retried). Raises ``BrewBoardTimeout`` when the board
        stays silent; then ``query(brew_id)`` later tells what happened. ``on_ack`` runs
        when the board has accepted the brew (the coffee is being made from then on).
        """
        encode_brew(0, brew_id, product_id)  # validates arguments before anything is sent
        if max_wait is not None and not max_wait > 0:
            raise ValueError(f"max_wait must be positive seconds or None, got {max_wait}")

        def accept(reply: Reply, tags: set[int]) -> bool:
            if isinstance(reply, Ack | Nak):
                return reply.brew_id == brew_id and reply.tag in tags
            return isinstance(reply, Done | Fail) and reply.brew_id == brew_id

        with self._lock:
            self._ensure_open()
            sent = f"BREW brew_id={brew_id} product_id={product_id}"
            reply = self._exchange(sent, lambda tag: encode_brew(tag, brew_id, product_id),
                                   accept)
            if isinstance(reply, Nak):
                return BrewOutcome(brew_id, BrewState.REJECTED, product_id, reason=reply.reason)
            if on_ack is not None:
                on_ack()
            if isinstance(reply, Done | Fail):
                return self._events[brew_id]
            wait = self._brew_timeout if max_wait is None else max_wait
            return self._await_outcome(brew_id, sent, wait)

    def query(self, brew_id: int) -> BrewOutcome:
        """Ask the board's non-volatile log what became of ``brew_id``."""
        encode_query(0, brew_id)
        with self._lock:
            self._ensure_open()
            return self._query(brew_id)

    def status(self) -> BoardStatus:
        """Readiness, versions, counters and the highest brew id the board has accepted."""
        with self._lock:
            self._ensure_open()
            reply = self._exchange("STATUS", encode_status,
                                   lambda r, tags: isinstance(r, BoardStatus) and r.tag in tags)
            assert isinstance(reply, BoardStatus)
            return reply

    def ping(self) -> None:
        """Return when the board answers; raise ``BrewBoardTimeout`` when it does not."""
        with self._lock:
            self._ensure_open()
            self._exchange("PING", encode_ping,
                           lambda r, tags: isinstance(r, Pong) and r.tag in tags)

    def close(self) -> None:
        """Release the serial port; further calls raise ``BrewBoardClosed``."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._serial.close()

    def __enter__(self) -> BrewBoard:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------

    def _ensure_open(self) -> None:
        if self._closed:
            raise BrewBoardClosed(f"brew board client for {self.port} is closed")

    def _next_tag(self) -> int:
        tag = self._tag
        self._tag = 0 if tag == U32 else tag + 1
        return tag

    def _write(self, data: bytes, sent: str) -> None:
        try:
            self._serial.write(data)
        except serial.SerialTimeoutException as exc:
            raise BrewBoardTimeout(self.port, sent, 1, self._timeout) from exc
        except (serial.SerialException, OSError) as exc:
            raise BrewBoardUnavailable(f"writing {sent!r} to {self.port} failed: {exc}") from exc

    def _read(self, deadline: float) -> Reply | None:
        """Next decodable line before ``deadline``; garbage is counted and skipped.

        DONE/FAIL events are remembered whichever request is waiting, so none is lost
        while another command is in flight.
        """
        while True:
            before = self._reader.overlong
            try:
                line = self._reader.read_line(deadline)
            except (serial.SerialException, OSError) as exc:
                raise BrewBoardUnavailable(f"reading from {self.port} failed: {exc}") from exc
            finally:
                self.stats.overlong += self._reader.overlong - before
            if line is None:
                return None
            try:
                reply = parse_reply(line)
            except BrewCodecError as exc:
                self.stats.garbled[exc.kind] += 1
                continue
            if isinstance(reply, Done):
                self._remember(BrewOutcome(reply.brew_id, BrewState.DONE, reply.product_id,
                                           dispense_no=reply.dispense_no))
            elif isinstance(reply, Fail):
                self._remember(BrewOutcome(reply.brew_id, BrewState.FAILED, reply.product_id,
                                           reason=reply.reason))
            return reply

    def _remember(self, outcome: BrewOutcome) -> None:
        self._events[outcome.brew_id] = outcome
        self._events.move_to_end(outcome.brew_id)
        while len(self._events) > _REMEMBERED_EVENTS:
            self._events.popitem(last=False)

    def _exchange(self, sent: str, encode: Callable[[int], bytes],
                  accept: Callable[[Reply, set[int]], bool]) -> Reply:
        """Send with a fresh tag per attempt until ``accept`` takes a reply.

        A late answer to an earlier attempt of the same call is as good as the current one.
        An ERR naming our tag, or an untagged ERR (the board got a garbled line, probably
        ours), triggers the next attempt at once instead of waiting out the timeout.
        """
        tags: set[int] = set()
        errors: list[Err] = []
        started = time.monotonic()
        skipped_before = self.stats.skipped
        for attempt in range(self._attempts):
            tag = self._next_tag()
            tags.add(tag)
            self._write(encode(tag), sent)
            self.stats.sent += 1
            if attempt:
                self.stats.resent += 1
            deadline = time.monotonic() + self._timeout
            while (reply := self._read(deadline)) is not None:
                if accept(reply, tags):
                    self.stats.accepted += 1
                    return reply
                if isinstance(reply, Err) and (reply.tag is None or reply.tag in tags):
                    self.stats.board_errors += 1
                    errors.append(reply)
                    break
                if not isinstance(reply, Done | Fail):
                    self.stats.foreign += 1
        if len(errors) == self._attempts and all(e.tag in tags for e in errors):
            codes = ", ".join(e.code for e in errors)
            raise BrewBoardProtocolError(
                f"brew board on {self.port} refused {sent!r} on every attempt with ERR "
                f"{codes}; the firmware and board disagree on the protocol")
        raise BrewBoardTimeout(self.port, sent, self._attempts, time.monotonic() - started,
                               skipped=self.stats.skipped - skipped_before)

    def _query(self, brew_id: int) -> BrewOutcome:
        reply = self._exchange(
            f"QUERY brew_id={brew_id}", lambda tag: encode_query(tag, brew_id),
            lambda r, tags: isinstance(r, Result) and r.brew_id == brew_id and r.tag in tags)
        assert isinstance(reply, Result)
        state = BrewState.FAILED if reply.state == "FAIL" else BrewState(reply.state)
        return BrewOutcome(brew_id, state, reply.product_id, reply.reason, reply.dispense_no)

    def _await_outcome(self, brew_id: int, sent: str, wait: float) -> BrewOutcome:
        started = time.monotonic()
        end = started + wait
        interval = self._poll_interval
        next_poll = started + interval if interval is not None else math.inf
        while True:
            if brew_id in self._events:
                return self._events[brew_id]
            now = time.monotonic()
            if now >= end:
                raise BrewBoardTimeout(self.port, f"{sent} (waiting for DONE/FAIL)", 1,
                                       now - started, acknowledged=True)
            if now >= next_poll and interval is not None:
                outcome = self._poll(brew_id)
                if outcome is not None:
                    return outcome
                next_poll = time.monotonic() + interval
                continue
            reply = self._read(min(end, next_poll))
            if reply is not None and not isinstance(reply, Done | Fail):
                self.stats.foreign += 1

    def _poll(self, brew_id: int) -> BrewOutcome | None:
        try:
            outcome = self._query(brew_id)
        except BrewBoardTimeout:
            return None
        if outcome.final:
            return outcome
        if outcome.state in (BrewState.UNKNOWN, BrewState.EXPIRED):
            raise BrewBoardProtocolError(
                f"brew board on {self.port} ACKed brew {brew_id} but now reports it "
                f"{outcome.state}; its non-volatile log was lost or the board was swapped")
        return None

