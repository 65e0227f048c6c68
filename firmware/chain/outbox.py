"""Durable transactions: signed once, persisted, then broadcast until final.

A transaction's raw bytes are fsynced before the first broadcast. After a reboot, a lost
response, a mempool drop or a reorg the *same* bytes are sent again: the nonce never gaps
and a redeem is never paid for twice. Final means mined and ``confirmations`` deep; a reorg
deeper than that still reopens the transaction (``Outbox.reopen_reorged_out``).
"""

from __future__ import annotations

from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import TransactionNotFound, Web3RPCError

from firmware.log import log
from firmware.rigport import RigPort
from firmware.store import OutboxTx, Store, TxState

OFFLINE_ERRORS = (requests.RequestException, OSError, TimeoutError)
_OPEN = (TxState.SIGNED, TxState.BROADCAST, TxState.MINED)
_IN_A_BLOCK = (TxState.MINED, TxState.CONFIRMED, TxState.FAILED)


class Outbox:
    def __init__(self, w3: Web3, account: LocalAccount, store: Store, port: RigPort,
                 chain_id: int, confirmations: int, resign_on_lost_response: bool = False,
                 broadcast_before_persist: bool = False,
                 final_at_first_inclusion: bool = False):
        self.w3, self.account, self.store, self.port = w3, account, store, port
        self.chain_id, self.confirmations = chain_id, confirmations
        # The rig's switchable defects (firmware.config.DEFECTS); all off in production.
        self.resign_on_lost_response = resign_on_lost_response
        self.broadcast_before_persist = broadcast_before_persist
        self.final_at_first_inclusion = final_at_first_inclusion

    def _cp(self, kind: str, stage: str, **data: Any) -> None:
        name = f"redeem-{stage}" if kind == "redeem" else f"tx-{stage}"
        if kind != "redeem" and stage == "mined":
            return
        self.port.checkpoint(name, kind=kind, **data)

    def open(self, kind: str | None = None) -> list[OutboxTx]:
        return [t for t in self.store.outbox(*_OPEN) if kind is None or t.kind == kind]

    def landed(self, kind: str, sequence: int) -> bool:
        """A ``kind`` transaction for receipt ``sequence`` is confirmed here: the chain took
        it, unless a reorg has taken it out since (``reopen_reorged_out`` sees that on the
        next pump and re-sends the same bytes)."""
        return any(t.kind == kind and t.meta.get("sequence") == sequence
                   for t in self.store.outbox(TxState.CONFIRMED))

    def _next_nonce(self) -> int:
        chain = self.w3.eth.get_transaction_count(self.account.address, "pending")
        ours = [t.nonce for t in self.store.outbox()]
        return max([chain, *(n + 1 for n in ours)])

    def _fields(self, nonce: int, gas: int) -> dict[str, Any]:
        base = self.w3.eth.get_block("latest")["baseFeePerGas"]
        tip = 10**9
        return {"from": self.account.address, "nonce": nonce, "gas": gas,
                "chainId": self.chain_id, "maxPriorityFeePerGas": tip,
                "maxFeePerGas": 3 * base + tip}

    def submit(self, kind: str, call: Any, meta: dict, gas: int = 200_000) -> OutboxTx:
        """Sign ``call`` (a bound contract function), persist it, broadcast it."""
        nonce = self._next_nonce()
        tx = call.build_transaction(self._fields(nonce, gas))
        signed = self.account.sign_transaction(tx)
        tx_hash = signed.hash.to_0x_hex()
        if self.broadcast_before_persist:
            return self._send_then_persist(kind, nonce, tx_hash, bytes(signed.raw_transaction),
                                           meta)
        tx_id = self.store.outbox_add(kind, nonce, tx_hash, bytes(signed.raw_transaction), meta)
        log("tx-signed", kind=kind, nonce=nonce, hash=tx_hash, **meta)
        self._cp(kind, "signed", nonce=nonce, hash=tx_hash, **meta)
        entry = next(t for t in self.store.outbox() if t.id == tx_id)
        self._broadcast(entry, call=call)
        return entry

    def _send_then_persist(self, kind: str, nonce: int, tx_hash: str, raw: bytes,
                           meta: dict) -> OutboxTx:
        """Defect ``broadcast_before_persist``: the node has the transaction before the SD card
        does. A power cut in between leaves a transaction in flight that the machine does not
        know it sent, so it signs the same operation again with the next nonce."""
        log("tx-signed", kind=kind, nonce=nonce, hash=tx_hash, **meta)
        self._cp(kind, "signed", nonce=nonce, hash=tx_hash, **meta)
        try:
            self.w3.eth.send_raw_transaction(raw)
        except (Web3RPCError, *OFFLINE_ERRORS) as e:
            log("tx-broadcast-unanswered", kind=kind, hash=tx_hash, error=repr(e))
        self._cp(kind, "broadcast", hash=tx_hash, **meta)
        tx_id = self.store.outbox_add(kind, nonce, tx_hash, raw, meta)
        self.store.outbox_set(tx_id, TxState.BROADCAST)
        return next(t for t in self.store.outbox() if t.id == tx_id)

    def _broadcast(self, t: OutboxTx, call: Any = None) -> None:
        try:
            self.w3.eth.send_raw_transaction(t.raw)
        except Web3RPCError as e:
            msg = str(e).lower()
            if "already" not in msg and "known" not in msg and "nonce too low" not in msg:
                log("tx-rejected", kind=t.kind, hash=t.tx_hash, error=str(e))
                return
        except OFFLINE_ERRORS as e:
            log("tx-broadcast-unanswered", kind=t.kind, hash=t.tx_hash, error=repr(e))
            if self.resign_on_lost_response and call is not None:
                # Defect: a second transaction for the same operation, with a new nonce.
                self.submit(t.kind, call, {**t.meta, "resigned_from": t.tx_hash})
            if t.state is TxState.SIGNED:
                return
        if t.state is TxState.SIGNED:
            self.store.outbox_set(t.id, TxState.BROADCAST)
            self._cp(t.kind, "broadcast", hash=t.tx_hash, **t.meta)

    def reopen_reorged_out(self, chain_nonce: int) -> list[OutboxTx]:
        """Reopen every mined or final transaction whose nonce the chain no longer covers.

        The machine is the only signer of its account and persists every transaction before
        sending it, so the chain's nonce at ``latest`` counts exactly the stored transactions
        in the canonical chain ("pending" would also count the node's pool, which no block
        holds). One at or above it was reorged out, beyond the confirmation depth if it was
        final: left final, its nonce stays free and every later transaction waits behind the
        gap for ever. Reopened, the pump re-sends the same signed bytes in nonce order.

        A final transaction whose receipt is gone while the nonce is still covered would need
        a second signer of the machine's key; the firmware cannot repair that and must not
        re-sign (INV-5), so it does not look (docs/firmware.md, "Reorgs"). The rig's defect
        ``final_at_first_inclusion`` trusts first inclusion for good and reopens nothing."""
        if self.final_at_first_inclusion:
            return []
        gone = sorted(self.store.outbox(*_IN_A_BLOCK, min_nonce=chain_nonce),
                      key=lambda t: t.nonce)
        if not gone:
            return []
        self.store.outbox_reopen([t.id for t in gone])
        for t in gone:
            beyond = t.state is not TxState.MINED
            log("tx-reorged-out", kind=t.kind, hash=t.tx_hash, nonce=t.nonce,
                chain_nonce=chain_nonce, was=t.state.value, block=t.block,
                beyond_confirmations=beyond,
                note=("reorged out beyond the confirmation depth" if beyond else
                      "reorged out before final") + "; re-sending the same signed bytes")
        return gone

    def fill_forgotten_nonces(self, chain_nonce: int) -> list[OutboxTx]:
        """Take every nonce below a stored transaction that no stored transaction holds, with
        a zero-value transfer to the machine's own account.

        Such a nonce went to a transaction this store does not remember: one signed after
        the backup the SD card was restored from (the restored machine numbers on from the
        chain's count, which included it). While the chain held it nothing waited; a reorg
        that drops it leaves a gap every later transaction waits behind for ever, and its
        bytes went with the old card (a pool drop does the same). The transfer pays nothing
        and re-signs nothing: what a forgotten redeem would have paid is in every later
        redeem's cumulative amount. Persisted before it is sent, like every transaction, so
        a nonce is never signed twice."""
        if self.final_at_first_inclusion:
            return []
        stored = {t.nonce for t in self.store.outbox()}
        above = [n for n in stored if n > chain_nonce]
        if not above:
            return []
        filled = []
        for nonce in sorted(set(range(chain_nonce, max(above))) - stored):
            signed = self.account.sign_transaction(
                {**self._fields(nonce, 21_000), "to": self.account.address, "value": 0})
            tx_hash = signed.hash.to_0x_hex()
            meta = {"reason": "a transaction this store does not remember held this nonce "
                              "and is no longer in the chain"}
            tx_id = self.store.outbox_add("nonce-fill", nonce, tx_hash,
                                          bytes(signed.raw_transaction), meta)
            log("tx-nonce-filled", nonce=nonce, hash=tx_hash, chain_nonce=chain_nonce,
                note=meta["reason"])
            self._cp("nonce-fill", "signed", nonce=nonce, hash=tx_hash, **meta)
            entry = next(t for t in self.store.outbox() if t.id == tx_id)
            self._broadcast(entry)
            filled.append(entry)
        return filled

    def pump(self) -> None:
        """Move every open transaction one step towards final. Raises when offline."""
        chain_nonce = self.w3.eth.get_transaction_count(self.account.address, "latest")
        self.reopen_reorged_out(chain_nonce)
        self.fill_forgotten_nonces(chain_nonce)
        tip = None
        for t in sorted(self.open(), key=lambda t: t.nonce):  # a gap holds every later one
            if t.state is TxState.SIGNED:
                self._broadcast(t)
                continue
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexStr(t.tx_hash))
            except TransactionNotFound:
                receipt = None
            if receipt is None and t.kind == "nonce-fill" and t.nonce < chain_nonce:
                # The forgotten transaction came back (another node's pool) and holds the
                # nonce: the gap is closed without the filler.
                self.store.outbox_set(t.id, TxState.VOID)
                log("tx-void", kind=t.kind, hash=t.tx_hash, nonce=t.nonce,
                    chain_nonce=chain_nonce, note="its nonce is taken by another transaction")
                continue
            if receipt is None:
                if t.state is TxState.MINED:  # gone since the nonce check above
                    log("tx-reorged-out", kind=t.kind, hash=t.tx_hash, nonce=t.nonce,
                        was=t.state.value, block=t.block, beyond_confirmations=False,
                        note="receipt gone; re-sending the same signed bytes")
                    self.store.outbox_set(t.id, TxState.BROADCAST)
                self._broadcast(t)  # dropped from the pool or reorged out: the same bytes
                continue
            block = receipt["blockNumber"]
            if t.state is not TxState.MINED or t.block != block:
                self.store.outbox_set(t.id, TxState.MINED, block)
                self._cp(t.kind, "mined", hash=t.tx_hash, block=block, **t.meta)
            tip = self.w3.eth.block_number if tip is None else tip
            depth = 1 if self.final_at_first_inclusion else max(self.confirmations, 1)
            if tip - block + 1 >= depth:
                final = TxState.CONFIRMED if receipt["status"] == 1 else TxState.FAILED
                self.store.outbox_set(t.id, final, block)
                log("tx-final", kind=t.kind, hash=t.tx_hash, state=final.value, block=block)
                self._cp(t.kind, "confirmed", hash=t.tx_hash, block=block,
                         ok=final is TxState.CONFIRMED, **t.meta)
