"""The CoffeePay receipt as EIP-712 typed data, and the signature form the contract accepts."""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.constants import SECPK1_N

from emulators.phone.channels import ChannelKey

DOMAIN_NAME, DOMAIN_VERSION = "CoffeePay", "1"
SIGNATURE_LEN = 65
HALF_N = SECPK1_N // 2

RECEIPT_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Receipt": [
        {"name": "channelId", "type": "bytes32"},
        {"name": "cumulativeAmount", "type": "uint256"},
        {"name": "sequence", "type": "uint64"},
    ],
}


def receipt_message(key: ChannelKey, cumulative_amount: int, sequence: int) -> SignableMessage:
    return encode_typed_data(full_message={
        "types": RECEIPT_TYPES,
        "primaryType": "Receipt",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": key.chain_id,
                   "verifyingContract": key.contract},
        "message": {"channelId": key.channel_id, "cumulativeAmount": cumulative_amount,
                    "sequence": sequence},
    })


def sign_receipt(private_key: bytes, key: ChannelKey, cumulative_amount: int,
                 sequence: int) -> bytes:
    """65 bytes r ‖ s ‖ v, v ∈ {27, 28}, low s (eth_keys signs canonically)."""
    signed = Account.sign_message(receipt_message(key, cumulative_amount, sequence), private_key)
    return bytes(signed.signature)


def well_formed(signature: bytes) -> bool:
    """What the contract's ECDSA accepts: 65 bytes, 0 < r < n, 0 < s ≤ n/2, v ∈ {27, 28}."""
    if len(signature) != SIGNATURE_LEN:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    return 0 < r < SECPK1_N and 0 < s <= HALF_N and signature[64] in (27, 28)


def recover_signer(key: ChannelKey, cumulative_amount: int, sequence: int,
                   signature: bytes) -> str | None:
    """The checksummed signer of a receipt, or None if the signature is not well formed."""
    if not well_formed(signature):
        return None
    try:
        return Account.recover_message(receipt_message(key, cumulative_amount, sequence),
                                       signature=signature)
    except Exception:  # eth_keys raises several types for points that are not on the curve
        return None
