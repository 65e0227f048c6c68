"""Receipts as the rig signs them for contract tests and fixtures (EIP-712, protocol v1)."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

RECEIPT_TYPES = {
    "Receipt": [
        {"name": "channelId", "type": "bytes32"},
        {"name": "cumulativeAmount", "type": "uint256"},
        {"name": "sequence", "type": "uint64"},
    ]
}


@dataclass(frozen=True)
class Domain:
    chain_id: int
    contract: str

    def as_dict(self) -> dict:
        return {"name": "CoffeePay", "version": "1", "chainId": self.chain_id,
                "verifyingContract": self.contract}


def receipt_message(domain: Domain, channel_id: bytes, cumulative: int, sequence: int):
    return encode_typed_data(domain.as_dict(), RECEIPT_TYPES, {
        "channelId": channel_id, "cumulativeAmount": cumulative, "sequence": sequence})


def sign_receipt(account: LocalAccount, domain: Domain, channel_id: bytes, cumulative: int,
                 sequence: int) -> bytes:
    """65-byte r‖s‖v signature (v ∈ {27, 28}, low s, as eth-keys produces)."""
    signed = account.sign_message(receipt_message(domain, channel_id, cumulative, sequence))
    return bytes(signed.signature)
