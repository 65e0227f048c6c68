"""Sync the channel, run the outbox, and decide when to redeem, check in and attest.

Redeem triggers: unredeemed value ≥ threshold, the redeem interval elapsed, the customer
requested a close (the challenge window is running), the latest receipt's signer was revoked
(its receipts count for one more challenge period), or the rig/operator asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from eth_account import Account
from eth_typing import HexStr
from web3 import Web3
from web3.logs import DISCARD

from firmware.chain.abi import PAYMENT_PROVIDER, RENTAL_PROVIDER, TICKET_RESOLVED
from firmware.chain.http import connect
from firmware.chain.outbox import OFFLINE_ERRORS, Outbox
from firmware.chain.signers import SignerLog
from firmware.channel_view import CLOSING, OPEN, ChannelView
from firmware.clock import Clock
from firmware.config import MachineConfig
from firmware.log import log
from firmware.rigport import RigPort
from firmware.store import Store, TxState

ChainFault = tuple[int, str]  # (fault code, description)


class ChainClient:
    def __init__(self, cfg: MachineConfig, store: Store, port: RigPort, clock: Clock,
                 active_faults: Callable[[], Iterable[ChainFault]] = lambda: ()):
        c = cfg.chain
        self.cfg, self.store, self.port, self.clock = cfg, store, port, clock
        self.active_faults = active_faults
        self.w3 = connect(c.rpc_url, c.rpc_timeout)
        self.account = Account.from_key(cfg.key)
        self.payments = self.w3.eth.contract(address=Web3.to_checksum_address(
            c.payment_provider), abi=PAYMENT_PROVIDER)
        self.rental = self.w3.eth.contract(address=Web3.to_checksum_address(
            c.rental_provider), abi=RENTAL_PROVIDER)
        self.channel_id = bytes.fromhex(c.channel_id[2:])
        self.signer_log = SignerLog(self.payments, self.channel_id)
        self.outbox = Outbox(self.w3, self.account, store, port, c.chain_id, c.confirmations,
                             resign_on_lost_response=cfg.defect("resign_redeem"),
                             broadcast_before_persist=cfg.defect("broadcast_before_persist"),
                             final_at_first_inclusion=cfg.defect("final_at_first_inclusion"))
        self.online = False
        self._redeem_requested = threading.Event()

    # ------------------------------------------------------------------ the view
    def view(self) -> ChannelView:
        return ChannelView.from_json(self.store.get("channel_view"))  # type: ignore[arg-type]

    def closed_window_reason(self) -> str | None:
        """Why a receipt taken now could no longer be redeemed, or None while it could.

        Read from the chain at this moment, not from the stored view: after a reboot the view
        is the one from before the cut, and the customer may have settled since. Unreachable
        counts as "cannot tell", which is a reason too."""
        try:
            block = self.w3.eth.get_block("latest")
            ch = self.payments.functions.channel(self.channel_id).call(
                block_identifier=block["number"])
        except OFFLINE_ERRORS as e:
            return f"the chain is unreachable ({type(e).__name__}), so the close window " \
                   f"cannot be confirmed open"
        status, deadline, now = ch[1], ch[2], block["timestamp"]
        if status == OPEN:
            return None
        if status != CLOSING:
            return f"the channel is settled on-chain (status {status})"
        if now >= deadline:
            return f"the close window ended at chain time {deadline} (now {now})"
        return None

    def deposit_now(self) -> int | None:
        """The channel's deposit read from the chain at this moment, or None when the chain
        is unreachable. The stored view can predate a top-up: a card put back from an old
        backup, a boot before the first sync round."""
        try:
            return int(self.payments.functions.channel(self.channel_id).call()[3])
        except OFFLINE_ERRORS:
            return None

    def request_redeem(self) -> None:
        self._redeem_requested.set()

    # ------------------------------------------------------------------ one round
    def step(self) -> bool:
        """One sync round; False when the chain is unreachable (nothing was lost)."""
        try:
            self._check_chain_id()
            # The outbox before the view: a redeem the pump finds final is then in the view,
            # never signed again off a view read before its block was mined.
            self.outbox.pump()
            view = self._sync()
            self._check_in()
            self._maybe_redeem(view)
            self._service()
        except OFFLINE_ERRORS as e:
            if self.online:
                log("chain-offline", error=repr(e))
            self.online = False
            return False
        if not self.online:
            log("chain-online", block=view.block)
        self.online = True
        self.port.checkpoint("synced", block=view.block, deposit=view.deposit,
                             redeemed=view.redeemed, status=view.status)
        return True

    def _check_chain_id(self) -> None:
        if self.cfg.defect("skip_chain_id_check"):
            return
        got = self.w3.eth.chain_id
        if got != self.cfg.chain.chain_id:
            # A node on another chain must never receive our transactions.
            raise ConnectionError(f"node reports chain id {got}, configured "
                                  f"{self.cfg.chain.chain_id}")

    def _sync(self) -> ChannelView:
        block = self.w3.eth.get_block("latest")
        ch = self.payments.functions.channel(self.channel_id).call(
            block_identifier=block["number"])
        view = ChannelView(customer=ch[0], status=ch[1], close_deadline=ch[2], deposit=ch[3],
                           redeemed=ch[4], sequence=ch[5], signers=self.signer_log.signers(block),
                           block=block["number"], chain_time=block["timestamp"])
        self.store.set("channel_view", view.to_json())
        return view

    # ------------------------------------------------------------------ redeem
    def _maybe_redeem(self, view: ChannelView) -> None:
        latest = self.store.latest_receipt()
        if latest is None or latest.cumulative <= view.redeemed:
            self._redeem_requested.clear()
            return
        if self.outbox.open("redeem"):
            return
        if self.outbox.landed("redeem", latest.sequence):
            # The view says unredeemed, the outbox says final: a reorg came between this
            # round's pump and its view. The next pump reopens that transaction and re-sends
            # its bytes; signing a second redeem for the receipt would pay for it twice.
            return
        failed = [t.meta["sequence"] for t in self.store.outbox(TxState.FAILED)
                  if t.kind == "redeem"]
        if failed and latest.sequence <= max(failed):
            return  # that receipt reverted on-chain; only a newer one is worth the gas
        unredeemed = latest.cumulative - view.redeemed
        now = self.clock.now()
        stored = self.store.get("last_redeem_at")
        if stored is None:  # the interval runs from the first round that finds a receipt
            self.store.set("last_redeem_at", now)
            stored = now
        last = float(stored)  # type: ignore[arg-type]
        closing = view.status == CLOSING and not self.cfg.defect("ignore_close_request")
        # A clock behind the last redeem jumped back (a Pi without RTC boots at the epoch):
        # the interval cannot be measured, so it counts as elapsed rather than never.
        interval_over = now < last or now - last >= self.cfg.chain.redeem_interval
        on_policy = ((unredeemed >= self.cfg.chain.redeem_threshold or interval_over)
                     and not self.cfg.defect("late_redeem"))
        # A revoked signer's receipts stop counting one challenge period after SignerRevoked
        # (the contract checks the signer at redeem time): redeem its receipt while it counts.
        revoked = not view.authorised(latest.signer)
        due = on_policy or closing or revoked or self._redeem_requested.is_set()
        if not due or view.status not in (OPEN, CLOSING):
            return
        call = self.payments.functions.redeem(self.channel_id, latest.cumulative,
                                              latest.sequence, latest.signature)
        self.outbox.submit("redeem", call, {"sequence": latest.sequence,
                                            "cumulative": latest.cumulative})
        self.store.set("last_redeem_at", now)
        self._redeem_requested.clear()

    # ------------------------------------------------------------------ supply
    def _check_in(self) -> None:
        if self.store.get("checked_in"):
            return
        if self.outbox.open("check_in"):
            return
        if self.rental.functions.rental(self.cfg.chain.rental_id).call()[3]:
            self.store.set("checked_in", True)
            log("delivery-attested", rental=self.cfg.chain.rental_id)
            return
        self.outbox.submit("check_in", self.rental.functions.checkIn(self.cfg.chain.rental_id),
                           {"rental": self.cfg.chain.rental_id})

    # ------------------------------------------------------------------ service
    def _service(self) -> None:
        if not self.store.get("checked_in"):
            return
        tickets: dict = dict(self.store.get("tickets", {}) or {})  # type: ignore[call-overload]
        active = {code: text for code, text in self.active_faults()}
        changed = False
        for code, text in active.items():
            t = tickets.get(str(code))
            if t is None or t["state"] == "done":
                tx = self.outbox.submit("report_fault", self.rental.functions.reportFault(
                    self.cfg.chain.rental_id, code), {"code": code, "fault": text})
                tickets[str(code)] = {"state": "reporting", "tx": tx.id}
                changed = True
        for code, t in tickets.items():
            if t["state"] == "reporting":
                changed |= self._ticket_opened(t)
            elif t["state"] == "open" and int(code) not in active:
                status = self.rental.functions.ticket(t["ticket"]).call()[2]
                if status == TICKET_RESOLVED:
                    tx = self.outbox.submit("attest_fix", self.rental.functions.attestFix(
                        t["ticket"]), {"ticket": t["ticket"], "code": int(code)})
                    t.update(state="attesting", tx=tx.id)
                    changed = True
            elif t["state"] == "attesting":
                changed |= self._tx_final(t, "done")
        if changed:
            self.store.set("tickets", tickets)

    def _ticket_opened(self, t: dict) -> bool:
        tx = next((x for x in self.store.outbox() if x.id == t["tx"]), None)
        if tx is None or tx.state not in (TxState.CONFIRMED, TxState.FAILED):
            return False
        if tx.state is TxState.FAILED:
            t["state"] = "done"
            return True
        receipt = self.w3.eth.get_transaction_receipt(HexStr(tx.tx_hash))
        (event,) = self.rental.events.FaultReported().process_receipt(receipt, errors=DISCARD)
        t.update(state="open", ticket=event["args"]["ticketId"])
        log("ticket-opened", ticket=t["ticket"], code=event["args"]["faultCode"])
        return True

    def _tx_final(self, t: dict, next_state: str) -> bool:
        tx = next((x for x in self.store.outbox() if x.id == t["tx"]), None)
        if tx is None or tx.state not in (TxState.CONFIRMED, TxState.FAILED):
            return False
        t["state"] = next_state
        return True
