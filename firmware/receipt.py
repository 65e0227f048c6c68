"""CoffeePay receipts: EIP-712 digests and signature checks, byte-for-byte as the contract.

The machine never trusts a phone: every signature is recovered here, must be a 65-byte
r‖s‖v with v ∈ {27, 28} and low s (EIP-2), and must recover to an authorised signer.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import keccak, to_checksum_address

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,"
                               "address verifyingContract)")
RECEIPT_TYPEHASH = keccak(text="Receipt(bytes32 channelId,uint256 cumulativeAmount,"
                               "uint64 sequence)")


class SignatureError(ValueError):
    """A receipt signature is malformed or does not recover."""


@dataclass(frozen=True)
class Domain:
    chain_id: int
    contract: str

    def separator(self) -> bytes:
        return keccak(encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [_DOMAIN_TYPEHASH, keccak(text="CoffeePay"), keccak(text="1"), self.chain_id,
             self.contract]))


@dataclass(frozen=True)
class Receipt:
    channel_id: bytes
    cumulative: int
    sequence: int
    signature: bytes

    def digest(self, domain: Domain) -> bytes:
        return receipt_digest(domain, self.channel_id, self.cumulative, self.sequence)


def receipt_digest(domain: Domain, channel_id: bytes, cumulative: int, sequence: int) -> bytes:
    struct = keccak(encode(["bytes32", "bytes32", "uint256", "uint64"],
                           [RECEIPT_TYPEHASH, channel_id, cumulative, sequence]))
    return keccak(b"\x19\x01" + domain.separator() + struct)


def recover(digest: bytes, signature: bytes) -> str:
    """The checksummed address that signed ``digest``; ``SignatureError`` if malformed."""
    if len(signature) != 65:
        raise SignatureError(f"signature must be 65 bytes r||s||v, got {len(signature)}")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28):
        raise SignatureError(f"signature v must be 27 or 28, got {v}")
    if not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        raise SignatureError("signature s is not in the lower half order (EIP-2) or r is 0")
    try:
        pub = keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except (BadSignature, ValidationError) as e:
        raise SignatureError(f"signature does not recover: {e}") from e
    return to_checksum_address(pub.to_canonical_address())
