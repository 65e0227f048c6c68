"""The HCE wallet's state: delegate key, per-purchase limit, channels, signed receipts."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.constants import SECPK1_N

from emulators.phone.channels import ChannelKey, checksum
from emulators.phone.errors import WalletFormatError
from emulators.phone.receipts import ReceiptLog, SignedReceipt

FORMAT = "coffeepay-phone-wallet/1"


@dataclass(eq=False)
class Wallet:
    """An employee's wallet. Thread-safe: the field's thread signs while the rig updates it.

    ``channels`` maps each channel the wallet knows to the addresses authorised to sign on
    it (customer and delegates); the rig keeps it in step with the chain.
    """

    account: LocalAccount
    per_purchase_limit: int | None = None
    enabled: bool = True
    channels: dict[ChannelKey, frozenset[str]] = field(default_factory=dict)
    log: ReceiptLog = field(default_factory=ReceiptLog)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def generate(cls, rng: random.Random, per_purchase_limit: int | None = None) -> Wallet:
        """A wallet with a fresh key drawn from ``rng`` (same seed, same key)."""
        while True:
            secret = rng.randbytes(32)
            if 0 < int.from_bytes(secret, "big") < SECPK1_N:
                return cls(Account.from_key(secret), per_purchase_limit)

    @property
    def address(self) -> str:
        return self.account.address

    # -- channels (the rig keeps these up to date) -----------------------------------------

    def set_channel(self, channel: ChannelKey, signers: Iterable[str | bytes]) -> None:
        """Know ``channel`` with exactly these authorised signers."""
        authorised = frozenset(checksum(s, "signer") for s in signers)
        with self.lock:
            self.channels[channel] = authorised

    def authorise(self, channel: ChannelKey, signer: str | bytes) -> None:
        with self.lock:
            self.channels[channel] = self._known(channel) | {checksum(signer, "signer")}

    def revoke(self, channel: ChannelKey, signer: str | bytes) -> None:
        with self.lock:
            self.channels[channel] = self._known(channel) - {checksum(signer, "signer")}

    def forget_channel(self, channel: ChannelKey) -> None:
        with self.lock:
            self.channels.pop(channel, None)

    def signers(self, channel: ChannelKey) -> frozenset[str] | None:
        """Authorised signers of ``channel``, None when the wallet does not hold it."""
        with self.lock:
            return self.channels.get(channel)

    def _known(self, channel: ChannelKey) -> frozenset[str]:
        if channel not in self.channels:
            raise KeyError(f"the wallet holds no channel {channel}; set_channel() it first")
        return self.channels[channel]

    # -- the receipt log -------------------------------------------------------------------

    def receipts(self, channel: ChannelKey | None = None) -> tuple[SignedReceipt, ...]:
        """Every receipt this wallet signed (on ``channel``), oldest first."""
        with self.lock:
            return self.log.entries(channel)

    def last_receipt(self, channel: ChannelKey) -> SignedReceipt | None:
        with self.lock:
            return self.log.last(channel)

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> str:
        with self.lock:
            return json.dumps({
                "format": FORMAT,
                "private_key": "0x" + bytes(self.account.key).hex(),
                "per_purchase_limit": self.per_purchase_limit,
                "enabled": self.enabled,
                "channels": [{**key.to_dict(), "signers": sorted(signers)}
                             for key, signers in self.channels.items()],
                "receipts": [entry.to_dict() for entry in self.log.entries()],
            }, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Wallet:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise WalletFormatError(
                    f"not a phone wallet: format is {data.get('format')!r}, expected {FORMAT!r}")
            limit = data["per_purchase_limit"]
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
                raise WalletFormatError(f"per_purchase_limit must be an int or null: {limit!r}")
            wallet = cls(Account.from_key(data["private_key"]), limit, bool(data["enabled"]))
            for entry in data["channels"]:
                key = ChannelKey(entry["chain_id"], entry["contract"], entry["channel_id"])
                wallet.set_channel(key, entry["signers"])
            wallet.log = ReceiptLog([SignedReceipt.from_dict(e) for e in data["receipts"]])
            return wallet
        except WalletFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise WalletFormatError(
                f"cannot restore a phone wallet from JSON: {type(exc).__name__}: {exc}") from exc
