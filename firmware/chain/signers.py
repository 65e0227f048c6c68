"""The channel's authorised signers, from its SignerAuthorized/SignerRevoked logs, read
incrementally.

Reading every log from block 0 each round costs more as the chain grows. A round reads only
the blocks after the last one it read, once it has checked that the chain still holds that
block: a block's hash commits to every block before it, so an unchanged hash means nothing
already read was reorged, at any depth. A changed or missing one means a reorg (or a node
that lost blocks) rewrote history the machine read; the log is then read again from block 0,
so an authorisation or a revocation that was reorged out disappears from the view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hexbytes import HexBytes
from web3.contract import Contract
from web3.exceptions import BlockNotFound
from web3.types import BlockData

from firmware.log import log

LogKey = tuple[int, int]  # (block number, log index): the order events happened in


@dataclass
class SignerLog:
    """What the rounds read so far, in memory: a boot reads the whole log once."""

    payments: Contract
    channel_id: bytes
    _newest: dict[str, tuple[LogKey, bool]] = field(default_factory=dict)
    _read_to: tuple[int, HexBytes] | None = None  # the last block read: number, hash

    def signers(self, block: BlockData) -> tuple[str, ...]:
        """The signers authorised as of ``block`` (a block the caller read, usually latest)."""
        tip, start = block["number"], self._resume_from(block["number"])
        if start <= tip:
            for name, allowed in (("SignerAuthorized", True), ("SignerRevoked", False)):
                event = getattr(self.payments.events, name)
                for e in event.get_logs(from_block=start, to_block=tip,
                                        argument_filters={"channelId": self.channel_id}):
                    key, signer = (e["blockNumber"], e["logIndex"]), e["args"]["signer"]
                    if signer not in self._newest or self._newest[signer][0] < key:
                        self._newest[signer] = (key, allowed)
        self._read_to = (tip, HexBytes(block["hash"]))
        return tuple(sorted(s for s, (_, ok) in self._newest.items() if ok))

    def _resume_from(self, tip: int) -> int:
        """The first block to read; 0 (and nothing kept) when what was read is not canonical."""
        if self._read_to is None:
            return 0
        number, known = self._read_to
        now = self._hash_of(number) if number <= tip else None
        if now == known:
            return number + 1
        log("signer-log-reread", reason="the last block read is no longer in the chain",
            block=number, hash=known.to_0x_hex(), now=now.to_0x_hex() if now else None,
            tip=tip)
        self._newest.clear()
        self._read_to = None
        return 0

    def _hash_of(self, number: int) -> HexBytes | None:
        try:
            return HexBytes(self.payments.w3.eth.get_block(number)["hash"])
        except BlockNotFound:
            return None
