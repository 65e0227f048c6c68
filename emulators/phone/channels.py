"""Which channel a receipt belongs to: the EIP-712 domain plus the channel id."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import is_address, to_checksum_address

from emulators.phone.errors import ChannelFormatError


def checksum(address: str | bytes, what: str = "address") -> str:
    """EIP-55 form of a 0x-hex string or 20 raw bytes; a clear error for anything else."""
    if isinstance(address, bytes | bytearray):
        if len(address) != 20:
            raise ChannelFormatError(f"{what} must be 20 bytes, got {len(address)}")
        return to_checksum_address(bytes(address))
    if not isinstance(address, str) or not is_address(address):
        raise ChannelFormatError(f"{what} is not an address: {address!r}")
    return to_checksum_address(address)


def bytes32(value: str | bytes, what: str = "channel_id") -> bytes:
    if isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            value = bytes.fromhex(text)
        except ValueError as exc:
            raise ChannelFormatError(f"{what} is not hex: {value!r}") from exc
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ChannelFormatError(f"{what} must be 32 bytes, got {value!r}")
    return bytes(value)


@dataclass(frozen=True)
class ChannelKey:
    """(chainId, verifyingContract, channelId): one channel instance, never reused."""

    chain_id: int
    contract: str
    channel_id: bytes

    def __init__(self, chain_id: int, contract: str | bytes, channel_id: str | bytes) -> None:
        # Written out because the fields take raw bytes or hex too; __post_init__ checks them
        # and stores the EIP-55 address and the 32 channel id bytes.
        object.__setattr__(self, "chain_id", chain_id)
        object.__setattr__(self, "contract", contract)
        object.__setattr__(self, "channel_id", channel_id)
        self.__post_init__()

    def __post_init__(self) -> None:
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int) \
                or not 0 <= self.chain_id < 1 << 64:
            raise ChannelFormatError(f"chain_id must be a uint64, got {self.chain_id!r}")
        object.__setattr__(self, "contract", checksum(self.contract, "contract"))
        object.__setattr__(self, "channel_id", bytes32(self.channel_id))

    def to_dict(self) -> dict[str, object]:
        return {"chain_id": self.chain_id, "contract": self.contract,
                "channel_id": "0x" + self.channel_id.hex()}
