"""One tap: recover lost receipts, charge (or spend a credit), persist, then brew.

The order is the safety argument:
1. nothing is brewed before the payment is durable (receipt or credit spent, fsynced);
2. a phone pulled away at any moment before that leaves no state at all; whatever it signed
   is recovered on a later tap with GET LAST RECEIPT and becomes a credit;
3. a coffee that was paid but not dispensed becomes a credit, never a second charge;
4. a phone that answers SIGN RECEIPT "stale" signed a receipt the machine lacks: it is
   recovered in the same tap, as at a tap's start, and SIGN is asked once more.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from firmware.brew import BrewBoard, BrewBoardError, BrewState
from firmware.channel_view import OPEN, ChannelView
from firmware.config import MachineConfig
from firmware.log import log
from firmware.nfc import (
    ZERO_SIGNATURE,
    ChannelRef,
    LastReceipt,
    NfcError,
    PhoneLost,
    PhoneSession,
    SignRequest,
    StaleReceipt,
)
from firmware.receipt import Domain, SignatureError, receipt_digest, recover
from firmware.rigport import RigPort
from firmware.store import Brew, Store, StoredReceipt
from firmware.store.records import BrewState as Stored


class Verdict(StrEnum):
    SERVED = "served"                  # brewed
    CREDITED = "credited"              # paid, brew failed: value owed back as credit
    PENDING = "pending"                # paid, board silent: recovery will decide
    REFUSED = "refused"                # nothing charged (see reason)
    LOST = "lost"                      # the phone left before the payment completed


@dataclass(frozen=True)
class TapResult:
    verdict: Verdict
    reason: str = ""
    phone: str = ""
    brew_id: int | None = None
    sequence: int | None = None
    cumulative: int | None = None
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per phase


class PaymentError(Exception):
    """A purchase was refused; the message says why (shown to the user, logged)."""


@dataclass
class PaymentDesk:
    cfg: MachineConfig
    store: Store
    board: BrewBoard
    port: RigPort
    view: Callable[[], ChannelView]
    brewing_safe: Callable[[], str | None]       # the reason brewing is unsafe, or None
    selected_product: Callable[[], int | None]   # the product the user chose on the panel
    board_synced: Callable[[], bool] = lambda: True  # brew ids and forgotten brews settled
    # Why a receipt taken now could no longer be redeemed (the close window is over), or None
    closed_window_reason: Callable[[], str | None] = lambda: None
    # The channel's deposit on-chain now, or None when the chain cannot be reached
    deposit_now: Callable[[], int | None] = lambda: None

    def __post_init__(self) -> None:
        c = self.cfg.chain
        self.domain = Domain(c.chain_id, c.payment_provider)
        self.channel_id = bytes.fromhex(c.channel_id[2:])
        self.ref = ChannelRef(c.chain_id, c.payment_provider, self.channel_id)
        self._lock = threading.Lock()
        self._verified: dict[bytes, str] = {}   # only the signature_not_bound_to_receipt defect
        self._phone = ""  # the wallet of the tap in progress, once SELECT returned it

    # ------------------------------------------------------------------ one tap
    def serve(self, session: PhoneSession) -> TapResult:
        with self._lock:
            self._t0 = self._lap = time.perf_counter()
            self._timings: dict[str, float] = {}
            self._phone = ""
            try:
                return replace(self._serve(session), timings=self._timings)
            except PhoneLost as e:
                self._log("tap-lost", error=str(e))
                return TapResult(Verdict.LOST, f"PhoneLost: {e}", self._phone)
            except NfcError as e:  # the phone answered, but not with a receipt
                self._log("tap-refused", reason=str(e), kind=type(e).__name__)
                return TapResult(Verdict.REFUSED, f"{type(e).__name__}: {e}", self._phone)
            except PaymentError as e:
                self._log("tap-refused", reason=str(e))
                return TapResult(Verdict.REFUSED, str(e), self._phone)
            finally:
                self._phone = ""
                session.close()

    def _log(self, event: str, **fields: Any) -> None:
        """A console line that names the tap's wallet once SELECT returned it, so a refused
        or lost tap can be traced to the phone as well as a served one."""
        if self._phone:
            fields.setdefault("phone", self._phone)
        log(event, **fields)

    def _phase(self, name: str) -> None:
        now = time.perf_counter()
        self._timings[name] = self._timings.get(name, 0.0) + (now - self._lap) * 1000
        self._lap = now

    def _serve(self, session: PhoneSession) -> TapResult:
        self.port.checkpoint("tap")
        if not self.board_synced():
            raise PaymentError("the brew board has not answered since boot: no sales yet")
        phone = self._phone = session.select()
        view: ChannelView = self.view()
        self._recover(session, view)
        self._phase("nfc")
        if view.known and view.status != OPEN and not self.cfg.defect("ignore_close_request"):
            raise PaymentError("the channel is closing: no new sales")
        unsafe = self.brewing_safe()
        if unsafe:
            raise PaymentError(f"cannot brew now: {unsafe}")
        running = self._still_brewing()
        if running is not None:
            raise PaymentError(f"the brew board is still dispensing brew {running}, paid "
                               f"before a restart: no new sale until it is done")
        product = self.selected_product() or min(self.cfg.prices)
        if product not in self.cfg.prices:
            raise PaymentError(f"product {product} has no price")
        price = self.cfg.prices[product]
        credit, receipt = self._pay(session, phone, view, price, product)
        if self.cfg.defect("brew_before_persist"):
            return self._brew_then_persist(product, price, receipt, credit, phone)
        brew = self.store.record_purchase(product, price, receipt, credit)
        self._phase("durable_write")
        self.port.checkpoint("receipt-persisted", brew_id=brew.brew_id,
                             sequence=brew.sequence, credit_used=credit,
                             cumulative=receipt.cumulative if receipt else None)
        return self._brew(brew, phone)

    def _pay(self, session: PhoneSession, phone: str, view: ChannelView, price: int,
             product: int) -> tuple[int, StoredReceipt | None]:
        """Credit first, a receipt for the rest: (credit used, receipt or None).

        A stale answer means the phone signed a receipt this machine lacks (GET LAST RECEIPT
        at the tap's start did not show it). It is recovered as at a tap's start, so its
        credit counts, and the purchase is priced and signed once more: one tap, not two. A
        second stale answer refuses the tap rather than asking again."""
        try:
            return self._pay_once(session, phone, view, price, product)
        except StaleReceipt as e:
            self._phase("nfc")
            self._log("sign-stale", error=str(e))
            not_adopted = self._recover(session, view)
            self._phase("nfc")
            if not_adopted:
                raise PaymentError(
                    f"the phone answered SIGN RECEIPT stale (it signed a receipt this machine "
                    f"lacks), and its last receipt cannot be adopted: {not_adopted}") from e
        try:
            return self._pay_once(session, phone, view, price, product)
        except StaleReceipt as e:
            raise PaymentError(f"the phone answered SIGN RECEIPT stale again after its last "
                               f"receipt was recovered; not asking a third time: {e}") from e

    def _pay_once(self, session: PhoneSession, phone: str, view: ChannelView, price: int,
                  product: int) -> tuple[int, StoredReceipt | None]:
        credit = min(self.store.credit_balance(), price)
        charge = price - credit
        self._phase("checks")
        receipt = self._charge(session, phone, view, charge, product) if charge else None
        return credit, receipt

    def _charge(self, session: PhoneSession, phone: str, view: ChannelView, charge: int,
                product: int) -> StoredReceipt:
        latest = self.store.latest_receipt()
        seq = (latest.sequence if latest else 0) + 1
        cumulative = (latest.cumulative if latest else 0) + charge
        # Defect ``offline_bound_off_by_one`` compares what was spent *before* this purchase.
        spent = cumulative - charge if self.cfg.defect("offline_bound_off_by_one") else cumulative
        if spent > view.deposit and not self.cfg.defect("ignore_offline_bound"):
            raise PaymentError(f"deposit exhausted: {cumulative} would exceed the "
                               f"{view.deposit} last seen on-chain")
        request = SignRequest(self.ref, seq, cumulative, charge, product,
                              latest.signature if latest else ZERO_SIGNATURE)
        self._phase("checks")
        signature = session.sign_receipt(request)
        self._phase("nfc")
        self.port.checkpoint("receipt-signed", sequence=seq, cumulative=cumulative,
                             phone=phone)
        signer = self._verify(seq, cumulative, signature, view)
        self._phase("signature_check")
        if signer.lower() != phone.lower() and not self.cfg.defect("skip_signature_check"):
            raise PaymentError(f"receipt signed by {signer}, but the phone is {phone}")
        return StoredReceipt(seq, cumulative, charge, signature, signer, None, "tap")

    def _verify(self, seq: int, cumulative: int, signature: bytes, view: ChannelView) -> str:
        unbound = self.cfg.defect("signature_not_bound_to_receipt")
        if unbound and signature in self._verified:
            # Defect: a signature verified once passes again for any sequence and amount.
            return self._verified[signature]
        digest = receipt_digest(self.domain, self.channel_id, cumulative, seq)
        try:
            signer = recover(digest, signature)
        except SignatureError as e:
            if self.cfg.defect("skip_signature_check"):
                return "0x" + "00" * 20
            raise PaymentError(f"bad receipt signature: {e}") from e
        if not view.authorised(signer) and not self.cfg.defect("skip_signature_check"):
            raise PaymentError(f"receipt signer {signer} is not authorised on the channel")
        if unbound:
            self._verified[signature] = signer
        return signer

    # ------------------------------------------------------------------ recovery
    def _recover(self, session: PhoneSession, view: ChannelView) -> str:
        """Adopt a receipt this phone signed that the machine lost (power cut, old backup).

        Returns why nothing was adopted, or "" when a receipt was."""
        last = session.get_last_receipt(self.ref.chain_id, self.ref.contract, self.channel_id)
        latest = self.store.latest_receipt()
        if last is None:
            return "the phone reports no receipt on this channel"
        if latest is not None and last.sequence <= latest.sequence:
            if self.cfg.defect("accept_stale_receipt"):
                self._adopt_stale(last, view)
            return (f"its last receipt #{last.sequence} is not newer than the machine's "
                    f"#{latest.sequence}")
        if latest and last.cumulative_amount <= latest.cumulative:
            return self._ignored("cumulative does not grow", last.sequence)
        if last.cumulative_amount > view.deposit and not self.cfg.defect("ignore_offline_bound"):
            # Never redeemable (the contract refuses it) and a credit the deposit cannot pay:
            # the offline bound holds for recovered receipts as for signed ones. But the view
            # may predate a top-up (an old card put back): refused on it, the newest receipt
            # would be lost and another phone sold to below it, so the chain decides.
            too_high = self._beyond_deposit(last.cumulative_amount, view)
            if too_high:
                return self._ignored(too_high, last.sequence)
        try:
            signer = self._verify(last.sequence, last.cumulative_amount, last.signature, view)
        except PaymentError as e:
            return self._ignored(str(e), last.sequence)
        if view.known and view.status != OPEN and not self.cfg.defect("ignore_close_request"):
            # A closing channel takes no sales, so the receipt is only worth its redeem: a
            # credit the chain can no longer pay would be acknowledged value nobody collects.
            closed = self.closed_window_reason()
            if closed:
                return self._ignored(closed, last.sequence)
        credit = self.store.adopt_recovered(StoredReceipt(
            last.sequence, last.cumulative_amount,
            last.cumulative_amount - (latest.cumulative if latest else 0),
            last.signature, signer, None, "recovered"))
        self._log("receipt-recovered", sequence=last.sequence,
                  cumulative=last.cumulative_amount, credit=credit)
        self.port.checkpoint("receipt-recovered", sequence=last.sequence,
                             cumulative=last.cumulative_amount, credit=credit)
        return ""

    def _beyond_deposit(self, cumulative: int, view: ChannelView) -> str:
        """Why ``cumulative`` exceeds the deposit, read from the chain now; "" if it does not."""
        deposit = self.deposit_now()
        if deposit is None:
            return (f"cumulative {cumulative} exceeds the {view.deposit} deposit last seen "
                    f"on-chain, and the chain cannot be reached to see a top-up")
        if cumulative > deposit:
            return f"cumulative {cumulative} exceeds the {deposit} deposit on-chain"
        self._log("deposit-refreshed", stored=view.deposit, on_chain=deposit)
        return ""

    def _ignored(self, reason: str, sequence: int) -> str:
        self._log("recover-ignored", reason=reason, sequence=sequence)
        return f"receipt #{sequence}: {reason}"

    def _adopt_stale(self, last: LastReceipt, view: ChannelView) -> None:
        """Defect ``accept_stale_receipt``: an older receipt replaces the latest one."""
        with contextlib.suppress(PaymentError):
            signer = self._verify(last.sequence, last.cumulative_amount, last.signature, view)
            self.store.force_latest(StoredReceipt(last.sequence, last.cumulative_amount, 0,
                                                  last.signature, signer, None, "recovered"))

    # ------------------------------------------------------------------ brewing
    def _brew(self, brew: Brew, phone: str = "") -> TapResult:
        def acknowledged() -> None:
            self._phase("brew_command")
            self._timings["tap_to_brew"] = (time.perf_counter() - self._t0) * 1000
            self.port.checkpoint("brew-started", brew_id=brew.brew_id, product=brew.product)

        try:
            outcome = self.board.brew(brew.brew_id, brew.product, on_ack=acknowledged)
        except BrewBoardError as e:
            self._log("brew-unknown", brew_id=brew.brew_id, error=str(e))
            return TapResult(Verdict.PENDING, str(e), phone, brew.brew_id, brew.sequence)
        return self._settle_brew(brew, outcome.state, outcome.reason, phone)

    def _settle_brew(self, brew: Brew, state: BrewState, reason: str | None,
                     phone: str = "") -> TapResult:
        if state is BrewState.DONE:
            self.store.set_brew_state(brew.brew_id, Stored.DONE)
            self.port.checkpoint("brew-done", brew_id=brew.brew_id)
            self._log("brew-done", brew_id=brew.brew_id, product=brew.product,
                      price=brew.price)
            return TapResult(Verdict.SERVED, "", phone, brew.brew_id, brew.sequence)
        if state in (BrewState.FAILED, BrewState.REJECTED, BrewState.UNKNOWN):
            # Reported before the credit is durable: a power cut here leaves the paid brew
            # unresolved, and the next boot must ask the board and grant the credit once.
            self.port.checkpoint("brew-failed", brew_id=brew.brew_id,
                                 reason=reason or state.value)
            self.store.set_brew_state(brew.brew_id, Stored.CREDITED)
            if self.cfg.defect("credit_granted_twice"):
                self.store.grant_extra_credit(brew.price, brew.brew_id)
            self.port.checkpoint("credit-granted", brew_id=brew.brew_id, value=brew.price,
                                 reason=reason or state.value)
            self._log("brew-failed", brew_id=brew.brew_id, reason=reason or state.value)
            return TapResult(Verdict.CREDITED, reason or state.value, phone, brew.brew_id,
                             brew.sequence)
        return TapResult(Verdict.PENDING, state.value, phone, brew.brew_id, brew.sequence)

    def resolve_unfinished(self) -> int:
        """After a boot (or a silent board): ask the board what became of each paid brew.

        Holds the desk's lock: a brew of the tap in progress is never second-guessed."""
        with self._lock:
            return self._resolve_unfinished()

    def _resolve_unfinished(self) -> int:
        return self._resolve()[0]

    def _still_brewing(self) -> int | None:
        """The id of a paid brew the board is still dispensing, asked before the phone signs.

        A coffee interrupted by a power cut goes on on the board's own supply while the
        firmware reboots; a tap then would be paid, refused BUSY by the board and owed back
        as a credit: the customer pays and gets no coffee. Only brews the store holds
        unfinished are asked about, so a normal tap costs no serial exchange."""
        if not self.store.brews(Stored.PAID, Stored.STARTED):
            return None
        return self._resolve()[1]

    def _resolve(self) -> tuple[int, int | None]:
        """Settle what the board can say of each unfinished paid brew: (how many settled,
        the id of one it reports still running or None). A silent board settles nothing
        and reports nothing running (the brew's own exchange will meet the silence)."""
        settled, running = 0, None
        for brew in self.store.brews(Stored.PAID, Stored.STARTED):
            try:
                outcome = self.board.query(brew.brew_id)
            except BrewBoardError as e:
                log("brew-query-failed", brew_id=brew.brew_id, error=str(e))
                return settled, running
            if outcome.state is BrewState.RUNNING:
                running = brew.brew_id
            result = self._settle_brew(brew, outcome.state, outcome.reason)
            settled += result.verdict is not Verdict.PENDING
        return settled, running

    def _brew_then_persist(self, product: int, price: int, receipt: StoredReceipt | None,
                           credit: int, phone: str) -> TapResult:
        """Defect ``brew_before_persist``: the coffee runs while the payment is volatile."""
        brew_id = self.store.peek_brew_id()
        done, acked = threading.Event(), threading.Event()
        outcome: list = []

        def run() -> None:
            try:
                outcome.append(self.board.brew(brew_id, product, on_ack=acked.set))
            except BrewBoardError as e:
                outcome.append(e)
            acked.set()
            done.set()

        threading.Thread(target=run, daemon=True).start()
        acked.wait(self.cfg.brew_timeout)
        self.port.checkpoint("brew-started", brew_id=brew_id, product=product)
        brew = self.store.record_purchase(product, price, receipt, credit)
        self.port.checkpoint("receipt-persisted", brew_id=brew.brew_id,
                             sequence=brew.sequence, credit_used=credit,
                             cumulative=receipt.cumulative if receipt else None)
        done.wait(self.cfg.brew_timeout)
        state = outcome[0].state if outcome and hasattr(outcome[0], "state") else None
        if state is None:
            return TapResult(Verdict.PENDING, "board silent", phone, brew.brew_id)
        return self._settle_brew(brew, state, getattr(outcome[0], "reason", None), phone)
