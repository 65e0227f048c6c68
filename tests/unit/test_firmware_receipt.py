"""The firmware's receipt digest and signature check, against eth_account's EIP-712 code.

eth_account builds the typed-data hash from the type *description* (an independent
implementation of EIP-712), so an error in the firmware's hand-written encoding shows here.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.receipt import (
    SECP256K1_N,
    Domain,
    Receipt,
    SignatureError,
    receipt_digest,
    recover,
)

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DOMAIN = Domain(31337, CONTRACT)
CHANNEL = bytes.fromhex("ab" * 32)
ALICE = Account.from_key("0x" + "4c" * 32)

TYPES = {"Receipt": [{"name": "channelId", "type": "bytes32"},
                     {"name": "cumulativeAmount", "type": "uint256"},
                     {"name": "sequence", "type": "uint64"}]}


def _typed(domain: Domain, channel: bytes, cumulative: int, sequence: int) -> SignableMessage:
    return encode_typed_data(
        {"name": "CoffeePay", "version": "1", "chainId": domain.chain_id,
         "verifyingContract": domain.contract},
        TYPES, {"channelId": channel, "cumulativeAmount": cumulative, "sequence": sequence})


def _eip191_hash(message: SignableMessage) -> bytes:
    return keccak(b"\x19" + message.version + message.header + message.body)


def _sign(account, domain: Domain, channel: bytes, cumulative: int, sequence: int) -> bytes:
    return bytes(account.sign_message(_typed(domain, channel, cumulative, sequence)).signature)


def _split(sig: bytes) -> tuple[int, int, int]:
    return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]


def _join(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


# ---------------------------------------------------------------------- digest

@pytest.mark.parametrize(("chain_id", "channel", "cumulative", "sequence"), [
    (31337, CHANNEL, 2_500_000, 1),
    (1, bytes(32), 0, 0),
    (2**64 - 1, b"\xff" * 32, 2**256 - 1, 2**64 - 1),
])
def test_digest_equals_eth_account_typed_data(chain_id, channel, cumulative, sequence):
    domain = Domain(chain_id, CONTRACT)
    expected = _eip191_hash(_typed(domain, channel, cumulative, sequence))
    assert receipt_digest(domain, channel, cumulative, sequence) == expected
    assert Receipt(channel, cumulative, sequence, b"").digest(domain) == expected


def test_domain_separator_equals_eth_account():
    message = _typed(DOMAIN, CHANNEL, 1, 1)
    assert message.header == DOMAIN.separator()


def test_every_field_of_receipt_and_domain_changes_the_digest():
    base = receipt_digest(DOMAIN, CHANNEL, 100, 1)
    variants = [
        receipt_digest(Domain(1, CONTRACT), CHANNEL, 100, 1),
        receipt_digest(Domain(31337, "0x" + "00" * 19 + "01"), CHANNEL, 100, 1),
        receipt_digest(DOMAIN, bytes(32), 100, 1),
        receipt_digest(DOMAIN, CHANNEL, 101, 1),
        receipt_digest(DOMAIN, CHANNEL, 100, 2),
    ]
    assert len({base, *variants}) == 6


# ---------------------------------------------------------------------- recover

def test_recover_returns_the_checksummed_signer():
    digest = receipt_digest(DOMAIN, CHANNEL, 2_500_000, 1)
    sig = _sign(ALICE, DOMAIN, CHANNEL, 2_500_000, 1)
    assert recover(digest, sig) == ALICE.address


def test_a_signature_over_another_receipt_recovers_someone_else():
    sig = _sign(ALICE, DOMAIN, CHANNEL, 2_500_000, 1)
    assert recover(receipt_digest(DOMAIN, CHANNEL, 2_500_001, 1), sig) != ALICE.address


@pytest.mark.parametrize("length", [0, 64, 66, 130])
def test_wrong_length_is_refused(length):
    sig = (_sign(ALICE, DOMAIN, CHANNEL, 1, 1) * 3)[:length]
    with pytest.raises(SignatureError, match=f"65 bytes.*got {length}"):
        recover(receipt_digest(DOMAIN, CHANNEL, 1, 1), sig)


@pytest.mark.parametrize("v", [0, 1, 26, 29, 35, 255])
def test_v_other_than_27_or_28_is_refused(v):
    r, s, _ = _split(_sign(ALICE, DOMAIN, CHANNEL, 1, 1))
    with pytest.raises(SignatureError, match=f"v must be 27 or 28, got {v}"):
        recover(receipt_digest(DOMAIN, CHANNEL, 1, 1), _join(r, s, v))


def test_high_s_twin_is_refused_although_it_is_a_valid_ecdsa_signature():
    """(r, n - s, v ^ 1) verifies for the same key: accepting it makes receipts malleable."""
    digest = receipt_digest(DOMAIN, CHANNEL, 7, 3)
    r, s, v = _split(_sign(ALICE, DOMAIN, CHANNEL, 7, 3))
    twin = _join(r, SECP256K1_N - s, 55 - v)
    with pytest.raises(SignatureError, match="EIP-2"):
        recover(digest, twin)


@pytest.mark.parametrize(("r", "s"), [
    (0, 1), (SECP256K1_N, 1), (2**256 - 1, 1),       # r out of range
    (1, 0), (1, SECP256K1_N // 2 + 1), (1, SECP256K1_N), (1, 2**256 - 1),  # s out of range
])
def test_r_or_s_out_of_range_is_refused(r, s):
    with pytest.raises(SignatureError, match=r"lower half order \(EIP-2\) or r is 0"):
        recover(receipt_digest(DOMAIN, CHANNEL, 1, 1), _join(r, s, 27))


def test_r_that_is_no_curve_point_does_not_recover():
    # x = 5 has no point on secp256k1 (5^3 + 7 = 132 is not a square mod p).
    with pytest.raises(SignatureError, match="does not recover"):
        recover(receipt_digest(DOMAIN, CHANNEL, 1, 1), _join(5, 5, 27))


def test_a_digest_of_the_wrong_length_is_refused():
    sig = _sign(ALICE, DOMAIN, CHANNEL, 1, 1)
    with pytest.raises(SignatureError):
        recover(b"\x11" * 31, sig)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=64, max_size=64), st.sampled_from([27, 28]),
       st.binary(min_size=32, max_size=32))
def test_garbage_either_recovers_some_address_or_raises_signature_error(rs, v, digest):
    """Never another exception: the tap path catches only ``SignatureError``."""
    try:
        address = recover(digest, rs + bytes([v]))
    except SignatureError:
        return
    assert address.startswith("0x") and len(address) == 42


# ---------------------------------------------------------------------- property

@settings(max_examples=40, deadline=None)
@given(key=st.integers(min_value=1, max_value=SECP256K1_N - 1),
       chain_id=st.integers(min_value=1, max_value=2**64 - 1),
       channel=st.binary(min_size=32, max_size=32),
       cumulative=st.integers(min_value=0, max_value=2**256 - 1),
       sequence=st.integers(min_value=0, max_value=2**64 - 1))
def test_any_key_signs_any_receipt_and_the_firmware_recovers_it(key, chain_id, channel,
                                                                cumulative, sequence):
    account = Account.from_key(key.to_bytes(32, "big"))
    domain = Domain(chain_id, CONTRACT)
    sig = _sign(account, domain, channel, cumulative, sequence)
    assert recover(receipt_digest(domain, channel, cumulative, sequence), sig) == \
        account.address
