"""The phone's append-only log of every receipt it signed: ground truth for the rig's oracle."""

from __future__ import annotations

from dataclasses import dataclass

from emulators.phone.channels import ChannelKey, checksum


@dataclass(frozen=True)
class SignedReceipt:
    """One receipt this wallet signed, with the purchase it paid for.

    ``counter`` numbers the wallet's signatures 1, 2, 3, ... across all channels, so the
    oracle can order what happened on one phone even across channels.
    """

    counter: int
    channel: ChannelKey
    sequence: int
    cumulative_amount: int
    price: int
    product_id: int
    signature: bytes
    signer: str
    signed_at: float = 0.0  # host wall clock when signed: orders it against dispenses

    def to_dict(self) -> dict[str, object]:
        return {
            "counter": self.counter,
            **self.channel.to_dict(),
            "sequence": self.sequence,
            "cumulative_amount": self.cumulative_amount,
            "price": self.price,
            "product_id": self.product_id,
            "signature": "0x" + self.signature.hex(),
            "signer": self.signer,
            "signed_at": self.signed_at,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SignedReceipt:
        signature = bytes.fromhex(_strip0x(data["signature"]))
        if len(signature) != 65:
            raise ValueError(f"signature must be 65 bytes, got {len(signature)}")
        return cls(
            counter=_uint(data["counter"], "counter"),
            channel=ChannelKey(data["chain_id"], data["contract"], data["channel_id"]),
            sequence=_uint(data["sequence"], "sequence"),
            cumulative_amount=_uint(data["cumulative_amount"], "cumulative_amount"),
            price=_uint(data["price"], "price"),
            product_id=_uint(data["product_id"], "product_id"),
            signature=signature,
            signer=checksum(data["signer"], "signer"),
            signed_at=float(data.get("signed_at", 0.0)),
        )


def _strip0x(text: str) -> str:
    return text[2:] if text[:2] in ("0x", "0X") else text


def _uint(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return value


class ReceiptLog:
    """Append-only: entries are never changed or removed, counters strictly increase."""

    def __init__(self, entries: list[SignedReceipt] | None = None):
        self._entries: list[SignedReceipt] = []
        for entry in entries or []:
            self._check_next(entry.counter)
            self._entries.append(entry)

    def _check_next(self, counter: int) -> None:
        if self._entries and counter <= self._entries[-1].counter:
            raise ValueError(
                f"receipt counter {counter} does not follow {self._entries[-1].counter}: "
                f"the log is append-only")

    @property
    def next_counter(self) -> int:
        return self._entries[-1].counter + 1 if self._entries else 1

    def append(self, entry: SignedReceipt) -> None:
        self._check_next(entry.counter)
        self._entries.append(entry)

    def entries(self, channel: ChannelKey | None = None) -> tuple[SignedReceipt, ...]:
        return tuple(e for e in self._entries if channel is None or e.channel == channel)

    def last(self, channel: ChannelKey) -> SignedReceipt | None:
        """The highest-sequence receipt signed on ``channel``."""
        found = self.entries(channel)
        return max(found, key=lambda e: e.sequence) if found else None

    def __len__(self) -> int:
        return len(self._entries)
