"""The values the reader sends to and receives from a phone, with their wire widths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from firmware.nfc.errors import RequestEncodingError

SIGNATURE_LEN = 65
ZERO_SIGNATURE = bytes(SIGNATURE_LEN)


def to_address(value: bytes | str, field: str) -> bytes:
    """20 address bytes from raw bytes or a 0x-prefixed hex string."""
    raw = _to_bytes(value, field)
    if len(raw) != 20:
        raise RequestEncodingError(f"{field} must be 20 bytes, got {len(raw)}")
    return raw


def to_bytes32(value: bytes | str, field: str) -> bytes:
    raw = _to_bytes(value, field)
    if len(raw) != 32:
        raise RequestEncodingError(f"{field} must be 32 bytes, got {len(raw)}")
    return raw


def uint(value: int, width: int, field: str) -> bytes:
    """Big-endian unsigned ``value`` in ``width`` bytes, or a clear error if it does not fit."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestEncodingError(f"{field} must be an int, got {type(value).__name__}")
    if not 0 <= value < 1 << (8 * width):
        raise RequestEncodingError(f"{field}={value} does not fit in {width} unsigned bytes")
    return value.to_bytes(width, "big")


def _to_bytes(value: bytes | str, field: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            return bytes.fromhex(text)
        except ValueError as exc:
            raise RequestEncodingError(f"{field} is not hex: {value!r}") from exc
    raise RequestEncodingError(f"{field} must be bytes or a hex string, got {type(value)}")


@dataclass(frozen=True)
class ChannelRef:
    """Names one channel instance: the receipt domain plus the channel id."""

    chain_id: int
    contract: bytes
    channel_id: bytes

    def __init__(self, chain_id: int, contract: bytes | str, channel_id: bytes | str) -> None:
        # Written out because the fields take hex strings too; __post_init__ makes them bytes.
        object.__setattr__(self, "chain_id", chain_id)
        object.__setattr__(self, "contract", contract)
        object.__setattr__(self, "channel_id", channel_id)
        self.__post_init__()

    def __post_init__(self) -> None:
        object.__setattr__(self, "contract", to_address(self.contract, "contract"))
        object.__setattr__(self, "channel_id", to_bytes32(self.channel_id, "channel_id"))
        uint(self.chain_id, 8, "chain_id")

    def encode(self) -> bytes:
        """chainId (8) ‖ verifyingContract (20) ‖ channelId (32)."""
        return uint(self.chain_id, 8, "chain_id") + self.contract + self.channel_id


@dataclass(frozen=True)
class SignRequest:
    """The SIGN RECEIPT data field. Widths are checked; semantics are the phone's to judge."""

    channel: ChannelRef
    sequence: int
    cumulative_amount: int
    price: int
    product_id: int
    predecessor_signature: bytes = ZERO_SIGNATURE

    def __post_init__(self) -> None:
        if len(self.predecessor_signature) != SIGNATURE_LEN:
            raise RequestEncodingError(
                f"predecessor_signature must be {SIGNATURE_LEN} bytes "
                f"(65 zero bytes for sequence 1), got {len(self.predecessor_signature)}")
        self.encode()

    def encode(self) -> bytes:
        data = (
            self.channel.encode()
            + uint(self.sequence, 8, "sequence")
            + uint(self.cumulative_amount, 32, "cumulative_amount")
            + uint(self.price, 32, "price")
            + uint(self.product_id, 2, "product_id")
            + bytes(self.predecessor_signature)
        )
        return data


class LastReceipt(NamedTuple):
    """GET LAST RECEIPT's answer: the highest-sequence receipt the phone signed."""

    sequence: int
    cumulative_amount: int
    signature: bytes
