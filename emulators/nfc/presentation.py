"""One phone held to the reader: its Type A state (ISO/IEC 14443-3) and its ISO-DEP link."""

from __future__ import annotations

import enum
import threading

from emulators.nfc.anticollision import HLTA, REQA, WUPA, TypeAIdentity
from emulators.nfc.application import ActivationGate, CardApplication
from emulators.nfc.isodep import IsoDepCard, IsoDepTiming, Reply


class CardState(enum.Enum):
    IDLE = "idle"          # powered, answers REQA/WUPA
    READY = "ready"        # anticollision in progress
    SELECTED = "selected"  # UID complete, waiting for RATS
    ACTIVE = "active"      # ISO-DEP running
    HALT = "halt"          # after DESELECT/HLTA: only WUPA or a field reset wakes it


class TapEnd(enum.Enum):
    """How a presentation ended."""

    COMPLETED = "completed"      # the phone's answer finishing a payment was sent
    DESELECTED = "deselected"    # the reader sent S(DESELECT)
    FIELD_OFF = "field-off"      # RFOFF, or the reader restarted polling mid-session
    PULLED_AWAY = "pulled-away"  # the phone left on its own (misbehaviour)
    REMOVED = "removed"          # the rig called remove()
    TIMEOUT = "timeout"          # tap() gave up waiting
    FIELD_CLOSED = "field-closed"


class Presentation:
    """A phone in the field. ``ends_on_session_end`` makes a tap: the phone is taken away
    (atomically, in the field's thread) as soon as it completed a payment or its ISO-DEP
    session ended, so a reader's immediate re-poll never finds it a second time."""

    def __init__(self, app: CardApplication, identity: TypeAIdentity, timing: IsoDepTiming,
                 ends_on_session_end: bool, lossless_link: bool = False):
        self.app = app
        self.identity = identity
        self.timing = timing
        self.ends_on_session_end = ends_on_session_end
        self.lossless_link = lossless_link
        self.state = CardState.IDLE
        self.card: IsoDepCard | None = None
        self.activations = 0
        self.outcome: TapEnd | None = None
        self.done = threading.Event()
        # At the edge of the field: selected, but RATS is never answered in this presentation.
        self.deaf = isinstance(app, ActivationGate) and not app.activates()

    def end(self, outcome: TapEnd) -> None:
        if self.outcome is None:
            self.outcome = outcome
            self.done.set()

    def field_off(self) -> TapEnd | None:
        """The reader's field went off: the card powers down. A tap ends if it was active."""
        was_active = self.state in (CardState.SELECTED, CardState.ACTIVE)
        self.state, self.card = CardState.IDLE, None
        if was_active and self.ends_on_session_end:
            return TapEnd.FIELD_OFF
        return None

    def handle(self, frame: bytes, now: float) -> tuple[Reply | None, TapEnd | None]:
        """(reply, end of presentation) for one 106A frame from the reader."""
        if frame in (REQA, WUPA):
            return self._on_poll(frame, now)
        if self.state is CardState.READY:
            answer = self.identity.answer(frame)
            if answer is None:
                return None, None
            response, selected = answer
            if selected:
                self.state = CardState.SELECTED
            return Reply(response, now), None
        if self.state is CardState.SELECTED:
            if frame == HLTA:
                self.state = CardState.HALT
                return None, None
            if self.deaf:
                return None, None
            card = IsoDepCard(self.app, self.timing, self.lossless_link)
            reply = card.activate(frame, now)
            if reply is not None:
                self.card, self.state = card, CardState.ACTIVE
                self.activations += 1
            return reply, None
        if self.state is CardState.ACTIVE and self.card is not None:
            reply = self.card.receive(frame, now)
            return reply, (None if reply is not None else self.session_end())
        return None, None

    def session_end(self) -> TapEnd | None:
        """Called after each transmitted frame: does the presentation end here?"""
        card = self.card
        if card is None:
            return None
        if card.left:
            return TapEnd.PULLED_AWAY
        if card.deselected:
            self.state = CardState.HALT
            return TapEnd.DESELECTED if self.ends_on_session_end else None
        return TapEnd.COMPLETED if card.completed and self.ends_on_session_end else None

    def _on_poll(self, frame: bytes, now: float) -> tuple[Reply | None, TapEnd | None]:
        if self.state in (CardState.SELECTED, CardState.ACTIVE):
            # A real card ignores REQA while active; a new poll here means the reader restarted
            # its field without an RFOFF (e.g. the firmware process died and came back).
            end = self.field_off()
            if end is not None:
                return None, end
        if self.state is CardState.HALT and frame != WUPA:
            return None, None
        self.state, self.card = CardState.READY, None
        return Reply(self.identity.sens_res, now), None
