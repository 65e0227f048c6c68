"""Fuzz the phone's command handling (emulators/phone/apdu.py and applet.py).

The applet promises never to raise on bad input: any command APDU gets a response ending in
a status word of the protocol, a refusal is the bare status word, and the wallet's receipt
log only ever grows by receipts it really signed. ``parse_command`` refuses with
``ApduLengthError`` and is exactly invertible on what it accepts. Commands are built with the
firmware's encoder too, so the two independent codecs are checked against each other.
"""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from emulators.phone import apdu, eip712
from emulators.phone.apdu import ApduLengthError, CommandApdu, SignRequestData
from emulators.phone.applet import CoffeePayApplet
from emulators.phone.behaviour import BadSignature, Behaviour
from emulators.phone.channels import ChannelKey
from emulators.phone.wallet import Wallet
from firmware.nfc import apdu as reader
from firmware.nfc.messages import ZERO_SIGNATURE, ChannelRef, SignRequest
from tests.fuzz.mutations import mutated
from tests.fuzz.outcome import run_parser
from tests.fuzz.profiles import fuzz

ACCOUNT = Wallet.generate(random.Random(20240601)).account
WALLET_ADDRESS = bytes.fromhex(ACCOUNT.address[2:])
CONTRACT = bytes.fromhex("5FbDB2315678afecb367f032d93F642f64180aa3")
CHANNEL_ID = bytes(range(32))
KNOWN = ChannelKey(31337, "0x" + CONTRACT.hex(), CHANNEL_ID)
KNOWN_REF = ChannelRef(31337, CONTRACT, CHANNEL_ID)
FIRST_AMOUNT = 250
FIRST_SIGNATURE = eip712.sign_receipt(bytes(ACCOUNT.key), KNOWN, FIRST_AMOUNT, 1)
"""A valid predecessor, so fuzzed SIGN RECEIPTs for sequence 2 reach the signing code."""

STATUS_WORDS = {value for name, value in vars(apdu).items() if name.startswith("SW_")}
DATA_LEN_ON_OK = {(apdu.CLA_ISO, apdu.INS_SELECT): 21,
                  (apdu.CLA_COFFEEPAY, apdu.INS_SIGN_RECEIPT): 65,
                  (apdu.CLA_COFFEEPAY, apdu.INS_GET_LAST_RECEIPT): 105}


def new_wallet(limit: int | None = None) -> Wallet:
    wallet = Wallet(ACCOUNT, per_purchase_limit=limit)
    wallet.set_channel(KNOWN, [ACCOUNT.address])
    return wallet


rarely = st.sampled_from([False, False, False, True])
channel_refs = st.one_of(
    st.just(KNOWN_REF),
    st.builds(ChannelRef, st.integers(0, 2**64 - 1), st.binary(min_size=20, max_size=20),
              st.binary(min_size=32, max_size=32)))


@st.composite
def sign_requests(draw: st.DrawFn) -> SignRequest:
    """Mostly well-formed requests: sequence 1 or 2 on the known channel, varied amounts."""
    sequence = draw(st.integers(0, 2**64 - 1)) if draw(rarely) else draw(st.sampled_from([1, 2]))
    price = draw(st.integers(0, 2**256 - FIRST_AMOUNT - 1) if draw(rarely)
                 else st.integers(1, 1000))
    if sequence == 1:
        cumulative, predecessor = price, ZERO_SIGNATURE
    else:
        cumulative = FIRST_AMOUNT + price
        predecessor = FIRST_SIGNATURE
    if draw(rarely):
        cumulative = draw(st.integers(0, 2**256 - 1))
    if draw(rarely):
        predecessor = draw(st.binary(min_size=65, max_size=65))
    channel = draw(channel_refs) if draw(rarely) else KNOWN_REF
    return SignRequest(channel, sequence, cumulative % 2**256, price,
                       draw(st.integers(0, 0xFFFF)), predecessor)


valid_commands = st.one_of(
    st.just(reader.encode_select()),
    st.builds(reader.encode_get_last_receipt, channel_refs),
    st.builds(reader.encode_sign_receipt, sign_requests()),
    st.builds(reader.encode_sign_receipt, sign_requests()),
)
commands = st.one_of(
    mutated(valid_commands),
    mutated(valid_commands),
    st.binary(max_size=260),
    st.builds(lambda header, body: bytes(header) + body,
              st.lists(st.integers(0, 255), min_size=4, max_size=4), st.binary(max_size=210)),
)
behaviours = st.builds(
    Behaviour, decline=st.booleans(), replay_old_signature=st.just(False),
    bad_signature=st.sampled_from(BadSignature)) | st.builds(
    Behaviour, decline=st.booleans(), replay_old_signature=st.just(True))


def _check_response(command: bytes, response: bytes, wallet: Wallet, before: int,
                    behaviour: Behaviour) -> None:
    assert isinstance(response, bytes) and len(response) >= 2
    sw = response[-2:]
    assert sw in STATUS_WORDS, f"unknown status word {sw.hex()}"
    grown = len(wallet.log) - before
    assert grown in (0, 1)
    if sw != apdu.SW_OK:
        assert len(response) == 2 and grown == 0
        return
    kind = (command[0], command[1])
    assert len(response) - 2 == DATA_LEN_ON_OK[kind]
    honest = behaviour.bad_signature is BadSignature.NONE and not behaviour.replay_old_signature
    if kind == (apdu.CLA_COFFEEPAY, apdu.INS_SIGN_RECEIPT) and honest:
        assert grown == 1
        entry = wallet.log.entries()[-1]
        assert entry.signature == response[:-2]
        assert eip712.recover_signer(entry.channel, entry.cumulative_amount, entry.sequence,
                                     entry.signature) == ACCOUNT.address
    else:
        assert grown == 0


@fuzz(weight=2)
@given(commands)
def test_any_command_gets_a_protocol_status_word(command: bytes) -> None:
    wallet = new_wallet()
    before = len(wallet.log)
    response = CoffeePayApplet(wallet).process(command)
    _check_response(command, response, wallet, before, Behaviour())


@fuzz()
@given(st.lists(commands, min_size=1, max_size=6), behaviours,
       st.one_of(st.none(), st.integers(0, 2000)))
def test_command_sequences_never_sign_a_sequence_twice(
        seq: list[bytes], behaviour: Behaviour, limit: int | None) -> None:
    wallet = new_wallet(limit)
    applet = CoffeePayApplet(wallet)
    for command in seq:
        before = len(wallet.log)
        _check_response(command, applet.process(command, behaviour), wallet, before, behaviour)
    sequences = [e.sequence for e in wallet.log.entries(KNOWN)]
    assert sequences == sorted(set(sequences)), "a sequence was signed twice or went back"


@fuzz()
@given(commands)
def test_a_disabled_wallet_answers_not_installed_to_everything(command: bytes) -> None:
    wallet = new_wallet()
    wallet.enabled = False
    assert CoffeePayApplet(wallet).process(command) == apdu.SW_NOT_INSTALLED


def _encode(c: CommandApdu) -> bytes:
    body = bytes([len(c.data)]) + c.data if c.data else b""
    return bytes([c.cla, c.ins, c.p1, c.p2]) + body + (b"" if c.le is None else bytes([c.le]))


@fuzz()
@given(st.one_of(mutated(valid_commands), st.binary(max_size=300)))
def test_parse_command_is_exactly_invertible_or_refuses(raw: bytes) -> None:
    out = run_parser(apdu.parse_command, ApduLengthError, raw)
    if out.accepted:
        assert _encode(out.value) == raw


@fuzz()
@given(sign_requests())
def test_the_phone_reads_every_field_the_reader_encodes(request: SignRequest) -> None:
    command = apdu.parse_command(reader.encode_sign_receipt(request))
    assert (command.cla, command.ins, command.le) == (0x80, 0x10, 0)
    parsed = SignRequestData.parse(command.data)
    ref = request.channel
    assert parsed.channel == ChannelKey(ref.chain_id, "0x" + ref.contract.hex(), ref.channel_id)
    assert (parsed.sequence, parsed.cumulative_amount, parsed.price, parsed.product_id,
            parsed.predecessor_signature) == (request.sequence, request.cumulative_amount,
                                              request.price, request.product_id,
                                              request.predecessor_signature)


@fuzz(weight=0.5)
@given(price=st.integers(1, 10**30), product=st.integers(0, 0xFFFF))
def test_the_reader_decodes_what_the_phone_answers(price: int, product: int) -> None:
    applet = CoffeePayApplet(new_wallet())
    assert reader.decode_select(applet.process(reader.encode_select())) == WALLET_ADDRESS
    signature = reader.decode_sign_receipt(applet.process(reader.encode_sign_receipt(
        SignRequest(KNOWN_REF, 2, FIRST_AMOUNT + price, price, product, FIRST_SIGNATURE))))
    last = reader.decode_get_last_receipt(applet.process(
        reader.encode_get_last_receipt(KNOWN_REF)))
    assert last == (2, FIRST_AMOUNT + price, signature)
