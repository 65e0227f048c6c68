"""The phone's CoffeePay applet: every check in the doc's order, GET LAST, the receipt log."""

from __future__ import annotations

import json
import random

import pytest
from eth_account import Account
from eth_keys import keys
from eth_keys.constants import SECPK1_N
from eth_utils import keccak

from emulators.phone import (
    BadSignature,
    Behaviour,
    ChannelKey,
    CoffeePayApplet,
    Phone,
    PullAway,
    ReceiptLog,
    Wallet,
    WalletFormatError,
)
from firmware.nfc import apdu as reader_codec
from firmware.nfc.messages import ChannelRef, SignRequest

CHAIN = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHANNEL_ID = bytes.fromhex("ab" * 32)
KEY = ChannelKey(CHAIN, CONTRACT, CHANNEL_ID)
OTHER_KEY = ChannelKey(CHAIN, CONTRACT, bytes.fromhex("cd" * 32))
LIMIT = 1_000
OK = b"\x90\x00"


# -- an independent EIP-712 implementation, from the spec's type string --------------------

def receipt_digest(key: ChannelKey, cumulative: int, sequence: int) -> bytes:
    domain_type = keccak(
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    domain = keccak(domain_type + keccak(b"CoffeePay") + keccak(b"1")
                    + key.chain_id.to_bytes(32, "big")
                    + bytes(12) + bytes.fromhex(key.contract[2:]))
    receipt_type = keccak(b"Receipt(bytes32 channelId,uint256 cumulativeAmount,uint64 sequence)")
    struct = keccak(receipt_type + key.channel_id + cumulative.to_bytes(32, "big")
                    + sequence.to_bytes(32, "big"))
    return keccak(b"\x19\x01" + domain + struct)


def sign(account, key: ChannelKey, cumulative: int, sequence: int) -> bytes:
    signed = Account.unsafe_sign_hash(receipt_digest(key, cumulative, sequence), account.key)
    return bytes(signed.signature)


def recover(key: ChannelKey, cumulative: int, sequence: int, signature: bytes) -> str:
    r, s, v = signature[:32], signature[32:64], signature[64]
    sig = keys.Signature(vrs=(v - 27, int.from_bytes(r, "big"), int.from_bytes(s, "big")))
    public = sig.recover_public_key_from_msg_hash(receipt_digest(key, cumulative, sequence))
    return public.to_checksum_address()


# -- raw APDUs, built by hand from the doc ------------------------------------------------

def channel_bytes(key: ChannelKey) -> bytes:
    return key.chain_id.to_bytes(8, "big") + bytes.fromhex(key.contract[2:]) + key.channel_id


def sign_command(sequence: int, cumulative: int, price: int, predecessor: bytes = bytes(65),
                 product: int = 7, key: ChannelKey = KEY) -> bytes:
    data = (channel_bytes(key) + sequence.to_bytes(8, "big") + cumulative.to_bytes(32, "big")
            + price.to_bytes(32, "big") + product.to_bytes(2, "big") + predecessor)
    assert len(data) == 199
    return bytes.fromhex("80100000C7") + data + b"\x00"


def get_last_command(key: ChannelKey = KEY) -> bytes:
    return bytes.fromhex("801200003C") + channel_bytes(key) + b"\x00"


SELECT = bytes.fromhex("00A4040008F0434F464645450100")


@pytest.fixture
def people():
    rng = random.Random(2024)
    customer = Account.from_key(rng.randbytes(32))
    delegate = Account.from_key(rng.randbytes(32))
    stranger = Account.from_key(rng.randbytes(32))
    return customer, delegate, stranger


@pytest.fixture
def wallet(people):
    customer, delegate, _ = people
    wallet = Wallet.generate(random.Random(7), per_purchase_limit=LIMIT)
    wallet.set_channel(KEY, [customer.address, delegate.address, wallet.address])
    wallet.set_channel(OTHER_KEY, [customer.address, wallet.address])
    return wallet


@pytest.fixture
def applet(wallet):
    return CoffeePayApplet(wallet)


def first_receipt(applet: CoffeePayApplet, price: int = 100) -> bytes:
    response = applet.process(sign_command(1, price, price))
    assert response[-2:] == OK
    return response[:-2]


# -- SELECT and generic errors -----------------------------------------------------------

def test_select_answers_version_and_wallet_address(applet, wallet):
    response = applet.process(SELECT)
    assert response == b"\x01" + bytes.fromhex(wallet.address[2:]) + OK


def test_select_of_another_aid_is_not_found(applet):
    ndef_aid = bytes.fromhex("D2760000850101")
    assert applet.process(bytes.fromhex("00A4040007") + ndef_aid + b"\x00") == b"\x6a\x82"


def test_a_disabled_wallet_app_is_not_there_at_all(applet, wallet):
    wallet.enabled = False
    assert applet.process(SELECT) == b"\x6a\x82"
    assert applet.process(sign_command(1, 100, 100)) == b"\x6a\x82"
    assert wallet.receipts() == ()


@pytest.mark.parametrize(("command", "sw"), [
    (bytes.fromhex("90100000"), b"\x6e\x00"),                  # unknown CLA
    (bytes.fromhex("8014000000"), b"\x6d\x00"),                # unknown INS, CoffeePay CLA
    (bytes.fromhex("00B0000010"), b"\x6d\x00"),                # READ BINARY: not ours
    (bytes.fromhex("8010"), b"\x67\x00"),                      # no full header
    (bytes.fromhex("00A4040008F0434F4646454501"), OK),        # SELECT without Le is fine
    (bytes.fromhex("00A404000AF0434F464645450100"), b"\x67\x00"),  # Lc bigger than data
    (bytes.fromhex("00A4000008F0434F464645450100"), b"\x6a\x86"),  # not select-by-name
])
def test_unknown_class_instruction_and_length(applet, command, sw):
    assert applet.process(command)[-2:] == sw


# -- SIGN RECEIPT: every check, in order ---------------------------------------------------

def test_first_receipt_is_signed_eip712_low_s_by_the_wallet(applet, wallet):
    signature = first_receipt(applet, price=250)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert int.from_bytes(signature[32:64], "big") <= SECPK1_N // 2
    assert recover(KEY, 250, 1, signature) == wallet.address


@pytest.mark.parametrize("lc", [198, 200])
def test_sign_with_lc_other_than_199_is_wrong_length(applet, lc):
    command = bytearray(sign_command(1, 100, 100))
    body = bytes(command[5:-1])
    body = body[:lc] if lc < 199 else body + b"\x00" * (lc - 199)
    assert applet.process(bytes.fromhex("80100000") + bytes([lc]) + body + b"\x00") == b"\x67\x00"


def test_sign_whose_lc_lies_about_the_data_is_wrong_length(applet):
    command = sign_command(1, 100, 100)
    assert applet.process(command[:-10]) == b"\x67\x00"


def test_wrong_length_is_checked_before_anything_else(applet):
    malformed_and_short = sign_command(0, 0, 0)[:-20]
    assert applet.process(malformed_and_short) == b"\x67\x00"


@pytest.mark.parametrize(("sequence", "cumulative", "price", "predecessor"), [
    (0, 100, 100, bytes(65)),            # sequence 0
    (1, 100, 0, bytes(65)),              # price 0
    (2, 100, 101, b"\x01" * 65),         # price above cumulative
    (1, 100, 100, b"\x00" * 64 + b"\x1b"),  # first receipt with a predecessor
    (1, 150, 100, bytes(65)),            # first receipt whose cumulative is not its price
])
def test_each_malformed_case_is_6a80(applet, wallet, sequence, cumulative, price, predecessor):
    assert applet.process(sign_command(sequence, cumulative, price, predecessor)) == b"\x6a\x80"
    assert wallet.receipts() == ()


def test_malformed_is_checked_before_unknown_channel(applet):
    unknown = ChannelKey(1, CONTRACT, CHANNEL_ID)
    assert applet.process(sign_command(0, 100, 100, key=unknown)) == b"\x6a\x80"


@pytest.mark.parametrize("key", [
    ChannelKey(CHAIN + 1, CONTRACT, CHANNEL_ID),
    ChannelKey(CHAIN, "0x" + "11" * 20, CHANNEL_ID),
    ChannelKey(CHAIN, CONTRACT, bytes(32)),
])
def test_a_channel_differing_in_any_part_is_unknown(applet, key):
    assert applet.process(sign_command(1, 100, 100, key=key)) == b"\x6a\x88"


def test_unknown_channel_is_checked_before_the_predecessor(applet, people):
    _, _, stranger = people
    unknown = ChannelKey(1, CONTRACT, CHANNEL_ID)
    forged = sign(stranger, unknown, 100, 1)
    assert applet.process(sign_command(2, 200, 100, forged, key=unknown)) == b"\x6a\x88"


def test_predecessor_by_a_stranger_is_invalid(applet, people):
    _, _, stranger = people
    forged = sign(stranger, KEY, 100, 1)
    assert applet.process(sign_command(2, 200, 100, forged)) == b"\x69\x82"


def test_predecessor_by_an_authorised_delegate_is_accepted(applet, wallet, people):
    _, delegate, _ = people
    predecessor = sign(delegate, KEY, 100, 1)
    response = applet.process(sign_command(2, 300, 200, predecessor))
    assert response[-2:] == OK
    assert recover(KEY, 300, 2, response[:-2]) == wallet.address


def test_predecessor_by_the_customer_is_accepted(applet, people):
    customer, _, _ = people
    assert applet.process(sign_command(5, 500, 100, sign(customer, KEY, 400, 4)))[-2:] == OK


def test_a_revoked_delegate_no_longer_vouches(applet, wallet, people):
    _, delegate, _ = people
    wallet.revoke(KEY, delegate.address)
    assert applet.process(sign_command(2, 200, 100, sign(delegate, KEY, 100, 1))) == b"\x69\x82"


def test_predecessor_over_other_values_is_invalid(applet, people):
    customer, _, _ = people
    other_amount = sign(customer, KEY, 90, 1)      # predecessor cumulative is 200 - 100
    assert applet.process(sign_command(2, 200, 100, other_amount)) == b"\x69\x82"
    other_channel = sign(customer, OTHER_KEY, 100, 1)
    assert applet.process(sign_command(2, 200, 100, other_channel)) == b"\x69\x82"


def test_high_s_twin_of_a_valid_predecessor_is_invalid(applet, people):
    customer, _, _ = people
    good = sign(customer, KEY, 100, 1)
    s = int.from_bytes(good[32:64], "big")
    twin = good[:32] + (SECPK1_N - s).to_bytes(32, "big") + bytes([55 - good[64]])
    assert recover(KEY, 100, 1, twin) == customer.address  # it is a real signature ...
    assert applet.process(sign_command(2, 200, 100, twin)) == b"\x69\x82"  # ... but not low-s
    assert applet.process(sign_command(2, 200, 100, good))[-2:] == OK


@pytest.mark.parametrize("mangle", [
    lambda sig: sig[:64] + b"\x00",         # v = 0
    lambda sig: sig[:64] + b"\x1d",         # v = 29
    lambda sig: bytes(65),                  # all zero
    lambda sig: bytes(32) + sig[32:],       # r = 0
])
def test_badly_formed_predecessors_are_invalid_not_a_crash(applet, people, mangle):
    customer, _, _ = people
    predecessor = mangle(sign(customer, KEY, 100, 1))
    assert applet.process(sign_command(2, 200, 100, predecessor)) == b"\x69\x82"


def test_predecessor_is_checked_before_stale(applet, people):
    _, _, stranger = people
    first_receipt(applet)
    applet.process(sign_command(2, 200, 100, sign(people[0], KEY, 100, 1)))
    assert applet.process(sign_command(2, 200, 100, sign(stranger, KEY, 100, 1))) == b"\x69\x82"


def test_resigning_the_same_or_an_older_sequence_is_stale(applet, wallet, people):
    customer, _, _ = people
    first = first_receipt(applet)
    second = applet.process(sign_command(2, 200, 100, first))
    assert second[-2:] == OK
    assert applet.process(sign_command(2, 200, 100, first)) == b"\x69\x86"
    assert applet.process(sign_command(1, 100, 100)) == b"\x69\x86"
    # Stale even when the machine offers a different amount for that sequence.
    assert applet.process(sign_command(2, 250, 150, sign(customer, KEY, 100, 1))) == b"\x69\x86"
    assert [r.sequence for r in wallet.receipts(KEY)] == [1, 2]


def test_stale_is_per_channel(applet):
    first_receipt(applet)
    assert applet.process(sign_command(1, 100, 100, key=OTHER_KEY))[-2:] == OK


def test_stale_is_checked_before_declined(applet, wallet):
    first_receipt(applet)
    assert applet.process(sign_command(1, 100, 100), Behaviour(decline=True)) == b"\x69\x86"


def test_user_decline_is_6985_and_signs_nothing(applet, wallet):
    assert applet.process(sign_command(1, 100, 100), Behaviour(decline=True)) == b"\x69\x85"
    assert wallet.receipts() == ()


def test_price_above_the_per_purchase_limit_is_declined(applet, wallet):
    assert applet.process(sign_command(1, LIMIT + 1, LIMIT + 1)) == b"\x69\x85"
    assert applet.process(sign_command(1, LIMIT, LIMIT))[-2:] == OK


def test_a_wallet_without_limit_signs_any_price(wallet):
    wallet.per_purchase_limit = None
    big = 10**30
    assert CoffeePayApplet(wallet).process(sign_command(1, big, big))[-2:] == OK


# -- GET LAST RECEIPT ----------------------------------------------------------------------

def test_get_last_returns_the_highest_sequence_receipt(applet):
    first = first_receipt(applet)
    second = applet.process(sign_command(2, 350, 250, first))[:-2]
    response = applet.process(get_last_command())
    assert response[-2:] == OK
    data = response[:-2]
    assert int.from_bytes(data[:8], "big") == 2
    assert int.from_bytes(data[8:40], "big") == 350
    assert data[40:] == second and len(data) == 105


def test_get_last_with_nothing_signed_is_6a88(applet):
    assert applet.process(get_last_command()) == b"\x6a\x88"


def test_get_last_on_an_unknown_channel_is_6a88(applet):
    assert applet.process(get_last_command(ChannelKey(9, CONTRACT, CHANNEL_ID))) == b"\x6a\x88"


def test_get_last_on_a_forgotten_channel_is_6a88_even_with_history(applet, wallet):
    first_receipt(applet)
    wallet.forget_channel(KEY)
    assert applet.process(get_last_command()) == b"\x6a\x88"


def test_get_last_with_lc_other_than_60_is_wrong_length(applet):
    command = get_last_command()
    bad = bytes.fromhex("801200003B") + command[5:-2] + b"\x00"
    assert applet.process(bad) == b"\x67\x00"


# -- the ground-truth log ----------------------------------------------------------------

def test_log_records_every_signed_receipt_with_a_monotonic_counter(applet, wallet):
    first = first_receipt(applet, price=100)
    applet.process(sign_command(1, 100, 100, product=3, key=OTHER_KEY))
    applet.process(sign_command(2, 300, 200, first, product=9))
    applet.process(sign_command(3, 400, 100, bytes(65)))   # refused: not logged
    entries = wallet.receipts()
    assert [e.counter for e in entries] == [1, 2, 3]
    last = entries[-1]
    assert (last.channel, last.sequence, last.cumulative_amount, last.price, last.product_id) \
        == (KEY, 2, 300, 200, 9)
    assert last.signer == wallet.address
    assert recover(KEY, 300, 2, last.signature) == wallet.address
    assert [e.sequence for e in wallet.receipts(OTHER_KEY)] == [1]


def test_the_log_refuses_to_be_rewritten(wallet, applet):
    first_receipt(applet)
    entry = wallet.receipts()[0]
    with pytest.raises(ValueError, match="append-only"):
        wallet.log.append(entry)
    with pytest.raises(ValueError, match="append-only"):
        ReceiptLog([entry, entry])


@pytest.mark.parametrize("behaviour", [
    Behaviour(bad_signature=BadSignature.WRONG_KEY),
    Behaviour(bad_signature=BadSignature.CORRUPTED),
])
def test_bad_signatures_are_well_formed_wrong_and_unlogged(applet, wallet, behaviour):
    response = applet.process(sign_command(1, 100, 100), behaviour)
    assert response[-2:] == OK
    signature = response[:-2]
    assert len(signature) == 65 and signature[64] in (27, 28)
    try:
        signer = recover(KEY, 100, 1, signature)
    except Exception:  # a corrupted r may not be a curve point at all
        signer = None
    assert signer != wallet.address
    assert wallet.receipts() == ()
    assert applet.process(sign_command(1, 100, 100))[-2:] == OK  # an honest retry is not stale


def test_replay_answers_an_earlier_signature(applet, wallet):
    first = first_receipt(applet)
    response = applet.process(sign_command(2, 200, 100, first),
                              Behaviour(replay_old_signature=True))
    assert response == first + OK
    assert len(wallet.receipts()) == 1


# -- persistence -------------------------------------------------------------------------

def test_json_round_trip_keeps_key_channels_limit_and_log(applet, wallet, people):
    first = first_receipt(applet)
    restored = Wallet.from_json(wallet.to_json())
    assert restored.address == wallet.address
    assert restored.per_purchase_limit == LIMIT and restored.enabled
    assert restored.channels == wallet.channels
    assert restored.receipts() == wallet.receipts()
    again = CoffeePayApplet(restored)
    assert again.process(sign_command(1, 100, 100)) == b"\x69\x86"  # still knows it signed
    assert again.process(sign_command(2, 200, 100, first))[-2:] == OK
    assert restored.receipts()[-1].counter == 2


@pytest.mark.parametrize("text", [
    "not json",
    "[]",
    json.dumps({"format": "something-else"}),
    json.dumps({"format": "coffeepay-phone-wallet/1"}),
])
def test_broken_wallet_json_is_a_clear_error(text):
    with pytest.raises(WalletFormatError):
        Wallet.from_json(text)


def test_wallet_json_with_a_bad_field_names_the_problem(wallet):
    data = json.loads(wallet.to_json())
    data["channels"][0]["contract"] = "0x1234"
    with pytest.raises(WalletFormatError, match="contract"):
        Wallet.from_json(json.dumps(data))


def test_same_seed_same_wallet():
    assert Wallet.generate(random.Random(1)).address == Wallet.generate(random.Random(1)).address
    assert Wallet.generate(random.Random(1)).address != Wallet.generate(random.Random(2)).address


# -- the phone around the applet: link-level behaviour ------------------------------------

@pytest.fixture
def phone(wallet):
    return Phone(wallet)


def test_pulled_away_mid_sign_says_nothing_and_signs_nothing(phone, wallet):
    phone.behaviour = Behaviour(pull_away=PullAway.MID_SIGN)
    assert phone.process_apdu(SELECT).response[-2:] == OK
    action = phone.process_apdu(sign_command(1, 100, 100))
    assert action.response is None and action.leave
    assert wallet.receipts() == ()


def test_pulled_away_before_response_signs_then_says_nothing(phone, wallet):
    phone.behaviour = Behaviour(pull_away=PullAway.BEFORE_RESPONSE)
    action = phone.process_apdu(sign_command(1, 100, 100))
    assert action.response is None and action.leave
    assert [r.sequence for r in wallet.receipts()] == [1]


def test_pulled_away_after_select_answers_select_then_leaves(phone):
    phone.behaviour = Behaviour(pull_away=PullAway.AFTER_SELECT)
    action = phone.process_apdu(SELECT)
    assert action.response[-2:] == OK and action.leave


def test_slow_phone_thinks_only_over_sign(phone):
    phone.behaviour = Behaviour(slow_seconds=0.5)
    assert phone.process_apdu(SELECT).delay == 0
    assert phone.process_apdu(sign_command(1, 100, 100)).delay == 0.5


def test_only_an_answered_sign_completes_a_payment(phone):
    assert not phone.process_apdu(SELECT).completes
    assert phone.process_apdu(sign_command(1, 100, 100)).completes
    assert not phone.process_apdu(sign_command(1, 100, 100)).completes   # stale: no payment


def test_behaviour_rejects_nonsense():
    with pytest.raises(ValueError, match="slow_seconds"):
        Behaviour(slow_seconds=-1)
    with pytest.raises(ValueError, match="either"):
        Behaviour(replay_old_signature=True, bad_signature=BadSignature.CORRUPTED)


# -- interoperability with the machine's independent codec ---------------------------------

def test_reader_codec_and_phone_applet_interoperate(applet, wallet):
    ref = ChannelRef(CHAIN, CONTRACT, CHANNEL_ID)
    assert reader_codec.decode_select(applet.process(reader_codec.encode_select())) \
        == bytes.fromhex(wallet.address[2:])
    request = SignRequest(ref, 1, 120, 120, 4)
    signature = reader_codec.decode_sign_receipt(
        applet.process(reader_codec.encode_sign_receipt(request)))
    assert recover(KEY, 120, 1, signature) == wallet.address
    last = reader_codec.decode_get_last_receipt(
        applet.process(reader_codec.encode_get_last_receipt(ref)))
    assert last == (1, 120, signature)
