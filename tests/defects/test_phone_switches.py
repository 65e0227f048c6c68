"""The emulated phone's seeded bugs and the 'other amount' misbehaviour do what they claim.

Each phone defect must change exactly the check it names (so a mutant run that passes means
the rig is blind, not that the switch did nothing); with no switch the phone is correct.
"""

from __future__ import annotations

import random

import pytest
from eth_account import Account

from emulators.phone import Behaviour, ChannelKey, CoffeePayApplet, Wallet, recover_signer
from emulators.phone import defects as phone

KEY = ChannelKey(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", bytes.fromhex("ab" * 32))
OK, STALE, PREDECESSOR_INVALID = b"\x90\x00", b"\x69\x86", b"\x69\x82"


def sign_command(sequence: int, cumulative: int, price: int,
                 predecessor: bytes = bytes(65)) -> bytes:
    data = (KEY.chain_id.to_bytes(8, "big") + bytes.fromhex(KEY.contract[2:]) + KEY.channel_id
            + sequence.to_bytes(8, "big") + cumulative.to_bytes(32, "big")
            + price.to_bytes(32, "big") + (7).to_bytes(2, "big") + predecessor)
    return bytes.fromhex("80100000C7") + data + b"\x00"


@pytest.fixture(autouse=True)
def no_phone_defects(monkeypatch):
    monkeypatch.delenv(phone.ENV, raising=False)


@pytest.fixture
def wallet() -> Wallet:
    w = Wallet.generate(random.Random(11))
    w.set_channel(KEY, [w.address])
    return w


def test_other_amount_signs_and_records_the_other_amount(wallet):
    applet = CoffeePayApplet(wallet)
    response = applet.process(sign_command(1, 100, 100), Behaviour(other_amount=-1))
    assert response[-2:] == OK
    assert recover_signer(KEY, 99, 1, response[:-2]) == wallet.address
    assert recover_signer(KEY, 100, 1, response[:-2]) != wallet.address
    (entry,) = wallet.receipts(KEY)
    assert (entry.sequence, entry.cumulative_amount) == (1, 99)


def test_other_amount_that_would_be_nothing_is_refused_as_malformed(wallet):
    response = CoffeePayApplet(wallet).process(sign_command(1, 1, 1), Behaviour(other_amount=-1))
    assert response == b"\x6a\x80" and not wallet.receipts(KEY)


@pytest.mark.parametrize("value", [True, 1.5, "1"])
def test_other_amount_must_be_an_int(value):
    with pytest.raises(ValueError, match="other_amount must be an int"):
        Behaviour(other_amount=value)


def test_no_log_signs_but_records_nothing(wallet):
    with phone.enabled("phone_no_log"):
        response = CoffeePayApplet(wallet).process(sign_command(1, 100, 100))
    assert response[-2:] == OK and not wallet.receipts(KEY)


def test_no_stale_check_signs_a_sequence_twice(wallet):
    applet = CoffeePayApplet(wallet)
    assert applet.process(sign_command(1, 100, 100))[-2:] == OK
    assert applet.process(sign_command(1, 100, 100)) == STALE
    with phone.enabled("phone_no_stale_check"):
        assert applet.process(sign_command(1, 100, 100))[-2:] == OK
    assert len(wallet.receipts(KEY)) == 2


def test_no_predecessor_check_signs_after_a_strangers_predecessor(wallet):
    stranger = Account.from_key(random.Random(3).randbytes(32))
    forged = bytes(Account.unsafe_sign_hash(b"\x11" * 32, stranger.key).signature)
    applet = CoffeePayApplet(wallet)
    assert applet.process(sign_command(2, 200, 100, forged)) == PREDECESSOR_INVALID
    with phone.enabled("phone_no_predecessor_check"):
        assert applet.process(sign_command(2, 200, 100, forged))[-2:] == OK
