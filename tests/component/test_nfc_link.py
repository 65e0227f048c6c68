"""The real nfcpy reader (udp driver) against the emulated field and phones, end to end."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import nfc
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from emulators.nfc import (
    CardAction,
    Field,
    FieldOccupied,
    FieldStartError,
    IsoDepCard,
    IsoDepTiming,
    TapEnd,
    TypeAIdentity,
    datagram,
)
from emulators.nfc import field as field_mod
from emulators.nfc.target_mode import TargetModeCard
from emulators.phone import BadSignature, Behaviour, ChannelKey, Phone, PullAway
from firmware.nfc import (
    ZERO_SIGNATURE,
    ChannelRef,
    NfcReader,
    PhoneDeclined,
    PhoneLost,
    PhoneSession,
    ReaderStats,
    ReaderUnavailable,
    SignRequest,
)

CHAIN, CONTRACT, CHANNEL_ID = 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", b"\x42" * 32
KEY = ChannelKey(CHAIN, CONTRACT, CHANNEL_ID)
REF = ChannelRef(CHAIN, CONTRACT, CHANNEL_ID)
TAP_TIMEOUT = 10.0


def signer_of(signature: bytes, cumulative: int, sequence: int) -> str | None:
    """Recover with eth_account's own EIP-712 encoding, independently of both sides' code."""
    message = encode_typed_data(
        domain_data={"name": "CoffeePay", "version": "1", "chainId": CHAIN,
                     "verifyingContract": CONTRACT},
        message_types={"Receipt": [{"name": "channelId", "type": "bytes32"},
                                   {"name": "cumulativeAmount", "type": "uint256"},
                                   {"name": "sequence", "type": "uint64"}]},
        message_data={"channelId": CHANNEL_ID, "cumulativeAmount": cumulative,
                      "sequence": sequence})
    try:
        return Account.recover_message(message, signature=signature)
    except Exception:
        return None


def make_phone(seed: int, name: str) -> Phone:
    phone = Phone.generate(random.Random(seed), name=name)
    phone.wallet.set_channel(KEY, [phone.address])
    return phone


@pytest.fixture
def field() -> Iterator[Field]:
    with Field(random.Random(99)) as f:
        yield f


@pytest.fixture
def reader(field: Field) -> Iterator[NfcReader]:
    with NfcReader(field.device_path) as r:
        yield r


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


@pytest.fixture
def phone() -> Phone:
    return make_phone(1, "alice")


def tap(pool: ThreadPoolExecutor, field: Field, phone: Phone) -> Future[TapEnd]:
    return pool.submit(field.tap, phone, TAP_TIMEOUT)


def poll(reader: NfcReader) -> PhoneSession:
    session = reader.poll(3.0)
    assert session is not None, "the reader found no phone in the field"
    return session


def first(price: int = 100) -> SignRequest:
    return SignRequest(REF, 1, price, price, 3)


# -- the happy path ----------------------------------------------------------------------

def test_select_sign_get_last_round_trip(field, reader, phone):
    field.present(phone)
    session = poll(reader)
    assert session.select() == phone.address
    assert session.get_last_receipt(CHAIN, CONTRACT, CHANNEL_ID) is None
    signature = session.sign_receipt(first(150))
    assert signer_of(signature, 150, 1) == phone.address
    assert session.get_last_receipt(CHAIN, CONTRACT, CHANNEL_ID) == (1, 150, signature)
    session.close()
    [logged] = phone.wallet.receipts()
    assert (logged.sequence, logged.cumulative_amount, logged.signature) == (1, 150, signature)
    assert field.remove() is TapEnd.REMOVED


def test_a_tap_ends_as_soon_as_the_payment_is_answered(field, reader, pool, phone):
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    session.sign_receipt(first())
    assert ending.result(TAP_TIMEOUT) is TapEnd.COMPLETED
    assert field.phone is None
    with pytest.raises(PhoneLost):  # the user took the phone away after the beep
        session.get_last_receipt(CHAIN, CONTRACT, CHANNEL_ID)


def test_a_tap_ends_when_the_reader_deselects(field, reader, pool, phone):
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    session.close()
    assert ending.result(TAP_TIMEOUT) is TapEnd.DESELECTED
    assert field.phone is None


def test_a_present_phone_answers_again_after_deselect_once_the_field_resets(
        field, reader, phone):
    field.present(phone)
    session = poll(reader)
    session.select()
    session.close()                   # DESELECT: the phone halts but stays on the reader
    again = poll(reader)              # the new poll switches the field off and on
    assert again.select() == phone.address


def test_two_phones_tapped_one_after_the_other(field, reader, pool):
    alice, bob = make_phone(1, "alice"), make_phone(2, "bob")
    seen = []
    for phone in (alice, bob):
        ending = tap(pool, field, phone)
        session = poll(reader)
        seen.append((session.select(), session.uid))
        assert signer_of(session.sign_receipt(first()), 100, 1) == phone.address
        session.close()
        assert ending.result(TAP_TIMEOUT) is TapEnd.COMPLETED
    assert [address for address, _ in seen] == [alice.address, bob.address]
    assert len(alice.wallet.receipts()) == len(bob.wallet.receipts()) == 1


def test_uids_are_fresh_per_tap_and_follow_the_seed(field, reader, pool, phone):
    uids = []
    for _ in range(2):
        ending = tap(pool, field, phone)
        session = poll(reader)
        uids.append(session.uid)
        session.close()
        ending.result(TAP_TIMEOUT)
    rng = random.Random(99)
    assert uids == [TypeAIdentity.random(rng).uid for _ in range(2)]
    assert uids[0] != uids[1]


def test_empty_field_polls_none(reader):
    assert reader.poll(0.0) is None
    assert reader.stats == ReaderStats(polls=1)


def test_reader_counts_polls_and_phones(field, reader, phone):
    field.present(phone)
    poll(reader).close()
    assert (reader.stats.discovered, reader.stats.connected, reader.stats.failed) == (1, 1, 0)
    assert reader.stats.polls >= 1


def _poll_once(field: Field, sock: socket.socket) -> None:
    sock.sendto(datagram.encode(b"\x26"), ("127.0.0.1", field.port))
    time.sleep(0.05)  # the field has taken the poll before the phone comes


def test_a_phone_arriving_while_the_reader_listens_answers_that_poll(field, phone):
    """One SENS_REQ, then the phone: its ATQA answers the poll still being listened for, as
    a real reader's repeated REQA would find it, with no second poll."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as reader_sock:
        reader_sock.settimeout(field_mod.LISTEN_WINDOW)
        _poll_once(field, reader_sock)
        field.present(phone)
        raw, _ = reader_sock.recvfrom(1024)
    answer = datagram.decode(raw)
    assert answer.brty == datagram.TYPE_A_106 and len(answer.frame) == 2  # ATQA


def test_a_poll_the_reader_stopped_listening_for_stays_unanswered(field, phone):
    """Past the listen window the driver may have given up: an answer then would be read as
    the reply to its next command, so the phone waits for the next poll."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as reader_sock:
        _poll_once(field, reader_sock)
        time.sleep(field_mod.LISTEN_WINDOW + 0.1)
        field.present(phone)
        reader_sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            reader_sock.recvfrom(1024)
        reader_sock.settimeout(TAP_TIMEOUT)
        _poll_once(field, reader_sock)
        assert len(datagram.decode(reader_sock.recvfrom(1024)[0]).frame) == 2


class _MuteAtRats:
    """A card that completes anticollision and then never answers RATS: it fails activation."""

    def __init__(self) -> None:
        self.identity = TypeAIdentity.random(random.Random(3))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                raw, addr = self.sock.recvfrom(1024)
            except TimeoutError:
                continue
            gram = datagram.decode(raw)
            if gram.frame in (b"\x26", b"\x52"):
                self.sock.sendto(datagram.encode(self.identity.sens_res), addr)
            elif (answer := self.identity.answer(gram.frame)) is not None:
                self.sock.sendto(datagram.encode(answer[0]), addr)


def test_a_phone_failing_activation_is_counted_with_its_reason():
    card = _MuteAtRats()
    card.thread.start()
    try:
        with NfcReader(f"udp:127.0.0.1:{card.sock.getsockname()[1]}") as reader:
            assert reader.poll(0.0) is None
            assert (reader.stats.discovered, reader.stats.connected,
                    reader.stats.failed) == (1, 0, 1)
            assert "RATS" in reader.stats.last_failure
    finally:
        card.stop.set()
        card.thread.join()
        card.sock.close()


def test_a_recovering_machine_gets_the_receipt_after_losing_the_response(
        field, reader, pool, phone):
    phone.behaviour = Behaviour(pull_away=PullAway.BEFORE_RESPONSE)
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    with pytest.raises(PhoneLost):
        session.sign_receipt(first(80))
    assert ending.result(TAP_TIMEOUT) is TapEnd.PULLED_AWAY
    [signed] = phone.wallet.receipts()     # the nasty case: signed, never delivered

    phone.behaviour = Behaviour()
    ending = tap(pool, field, phone)
    session = poll(reader)
    assert session.get_last_receipt(CHAIN, CONTRACT, CHANNEL_ID) == (1, 80, signed.signature)
    session.close()
    assert ending.result(TAP_TIMEOUT) is TapEnd.DESELECTED


def test_field_off_mid_session_ends_the_tap_and_the_session(field, reader, pool, phone):
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rf:
        rf.sendto(b"RFOFF", ("127.0.0.1", field.port))
    assert ending.result(TAP_TIMEOUT) is TapEnd.FIELD_OFF
    with pytest.raises(PhoneLost):
        session.sign_receipt(first())
    assert phone.wallet.receipts() == ()


def test_a_reader_restarting_mid_session_ends_the_tap(field, reader, pool, phone):
    ending = tap(pool, field, phone)
    poll(reader).select()
    with NfcReader(field.device_path) as restarted:   # polls without the first one's RFOFF
        assert restarted.poll(0.0) is None
    assert ending.result(TAP_TIMEOUT) is TapEnd.FIELD_OFF


def test_unknown_device_path_is_reader_unavailable():
    with pytest.raises(ReaderUnavailable, match="nosuchbus"):
        NfcReader("nosuchbus:1")


def test_a_closed_reader_refuses_to_poll(field):
    reader = NfcReader(field.device_path)
    reader.close()
    with pytest.raises(ReaderUnavailable, match="closed"):
        reader.poll(0.0)


# -- misbehaving phones ------------------------------------------------------------------

@pytest.mark.parametrize(("pull_away", "logged"), [
    (PullAway.AFTER_SELECT, 0),
    (PullAway.MID_SIGN, 0),
    (PullAway.BEFORE_RESPONSE, 1),
])
def test_pulled_away_phone_is_phone_lost(field, reader, pool, phone, pull_away, logged):
    phone.behaviour = Behaviour(pull_away=pull_away)
    ending = tap(pool, field, phone)
    session = poll(reader)
    assert session.select() == phone.address
    with pytest.raises(PhoneLost):
        session.sign_receipt(first())
    assert len(phone.wallet.receipts()) == logged
    assert ending.result(TAP_TIMEOUT) is TapEnd.PULLED_AWAY
    with pytest.raises(PhoneLost, match="already ended"):
        session.get_last_receipt(CHAIN, CONTRACT, CHANNEL_ID)


def test_phone_taken_away_by_the_rig_mid_session_is_phone_lost(field, reader, phone):
    field.present(phone)
    session = poll(reader)
    session.select()
    assert field.remove() is TapEnd.REMOVED
    with pytest.raises(PhoneLost):
        session.sign_receipt(first())


def test_declining_phone_raises_phone_declined(field, reader, pool, phone):
    phone.behaviour = Behaviour(decline=True)
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    with pytest.raises(PhoneDeclined):
        session.sign_receipt(first())
    session.close()
    assert ending.result(TAP_TIMEOUT) is TapEnd.DESELECTED
    assert phone.wallet.receipts() == ()


@pytest.mark.parametrize("bad", [BadSignature.WRONG_KEY, BadSignature.CORRUPTED])
def test_bad_signature_arrives_well_formed_but_wrong(field, reader, pool, phone, bad):
    phone.behaviour = Behaviour(bad_signature=bad)
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    signature = session.sign_receipt(first())
    session.close()
    ending.result(TAP_TIMEOUT)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert signer_of(signature, 100, 1) != phone.address


def test_replaying_phone_answers_its_earlier_signature(field, reader, pool, phone):
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    earlier = session.sign_receipt(first())
    session.close()
    ending.result(TAP_TIMEOUT)

    phone.behaviour = Behaviour(replay_old_signature=True)
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    replayed = session.sign_receipt(SignRequest(REF, 2, 200, 100, 3, earlier))
    session.close()
    ending.result(TAP_TIMEOUT)
    assert replayed == earlier
    assert signer_of(replayed, 200, 2) != phone.address


def test_slow_phone_uses_wtx_and_still_succeeds(field, reader, pool, phone):
    # 0.4 s is beyond what nfcpy's R(NAK) retries cover (6 FWT, about 0.26 s): only WTX saves it.
    phone.behaviour = Behaviour(slow_seconds=0.4)
    ending = tap(pool, field, phone)
    session = poll(reader)
    session.select()
    signature = session.sign_receipt(first())
    session.close()
    assert ending.result(TAP_TIMEOUT) is TapEnd.COMPLETED
    assert signer_of(signature, 100, 1) == phone.address


class _Stalled:
    """Holds the field's thread on the phone's first APDU without asking for WTX, the way a
    loaded host deschedules the emulator: the answer reaches the reader after its R(NAK)."""

    def __init__(self, phone: Phone, seconds: float):
        self.phone, self.seconds, self.stalled = phone, seconds, False

    def process_apdu(self, apdu: bytes) -> CardAction:
        if not self.stalled:
            self.stalled = True
            time.sleep(self.seconds)
        return self.phone.process_apdu(apdu)


@pytest.mark.parametrize("fsci", [8, 0], ids=["one-frame", "chained"])
def test_a_late_answer_is_taken_once_and_the_next_apdus_stay_in_step(pool, phone, fsci):
    # 3 FWT late: the reader has sent R(NAK) and takes the late answer as the reply to it. The
    # UDP air loses nothing, so answering that NAK as well would leave a stale frame queued
    # and the next APDU would fail on its block number.
    timing = IsoDepTiming(fsci=fsci)
    stalled = _Stalled(phone, 3 * timing.fwt)
    with Field(random.Random(6), timing=timing) as air, NfcReader(air.device_path) as reader:
        ending = tap(pool, air, stalled)
        session = poll(reader)
        assert session.select() == phone.address
        assert stalled.stalled
        assert session.get_last_receipt(CHAIN, CONTRACT, CHANNEL_ID) is None
        assert signer_of(session.sign_receipt(first()), 100, 1) == phone.address
        session.close()
        assert ending.result(TAP_TIMEOUT) is TapEnd.COMPLETED


def test_reader_chaining_over_small_frames(pool, phone):
    # FSCI 0 announces 16-byte frames, so nfcpy chains the 205-byte SIGN command.
    with Field(random.Random(5), timing=IsoDepTiming(fsci=0)) as small, \
            NfcReader(small.device_path) as reader:
        ending = tap(pool, small, phone)
        session = poll(reader)
        assert session.select() == phone.address
        assert signer_of(session.sign_receipt(first()), 100, 1) == phone.address
        session.close()
        assert ending.result(TAP_TIMEOUT) is TapEnd.COMPLETED


# -- the field as a resource -------------------------------------------------------------

def test_field_start_fails_fast_when_the_port_is_taken():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        port = squatter.getsockname()[1]
        with pytest.raises(FieldStartError, match=f"{port}.*already in use"):
            Field(random.Random(0), port=port).start()


def test_closed_field_releases_its_port():
    field = Field(random.Random(0)).start()
    port = field.port
    field.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", port))


def test_tap_without_a_reader_times_out_and_leaves_the_field_empty(field, phone):
    assert field.tap(phone, 0.05) is TapEnd.TIMEOUT
    assert field.phone is None


def test_only_one_phone_at_a_time(field, phone):
    field.present(phone)
    with pytest.raises(FieldOccupied, match="remove"):
        field.present(make_phone(2, "bob"))


def test_garbage_datagrams_do_not_disturb_the_field(field, reader, pool, phone):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as noise:
        for junk in (b"", b"106A", b"106A zz", b"\xff\xfe", b"212F 0600ffff0100", b"106A e0"):
            noise.sendto(junk, ("127.0.0.1", field.port))
    ending = tap(pool, field, phone)
    session = poll(reader)
    assert session.select() == phone.address
    session.close()
    assert ending.result(TAP_TIMEOUT) is TapEnd.DESELECTED


def test_a_crashing_phone_leaves_the_field_instead_of_killing_it(field, reader, pool, phone):
    class Broken:
        def process_apdu(self, apdu: bytes) -> CardAction:
            raise RuntimeError("app crashed")

    ending = pool.submit(field.tap, Broken(), TAP_TIMEOUT)
    session = poll(reader)
    with pytest.raises(PhoneLost):
        session.select()
    assert ending.result(TAP_TIMEOUT) is TapEnd.PULLED_AWAY
    ending = tap(pool, field, phone)
    assert poll(reader).select() == phone.address
    reader.close()
    assert ending.result(TAP_TIMEOUT) is TapEnd.DESELECTED


# -- ISO-DEP card side details -----------------------------------------------------------

class Echo:
    """Answers every APDU with a fixed response, to look at framing alone."""

    def __init__(self, response: bytes):
        self.response = response

    def process_apdu(self, apdu: bytes) -> CardAction:
        return CardAction(self.response)


def test_card_chains_a_response_longer_than_the_readers_frame():
    card = IsoDepCard(Echo(bytes(range(30)) + b"\x90\x00"))
    assert card.activate(b"\xe0\x00", 0.0).frame == bytes.fromhex("0578807002")  # FSD 16
    first = card.receive(b"\x02\x00\xa4", 0.0).frame
    assert first[0] == 0x12 and len(first) == 16 - 2                  # chained, bn 0
    second = card.receive(b"\xa3", 0.0).frame                           # R(ACK) bn 1
    assert second[0] == 0x13
    third = card.receive(b"\xa2", 0.0).frame
    assert third[0] == 0x02
    assert first[1:] + second[1:] + third[1:] == bytes(range(30)) + b"\x90\x00"


def test_card_retransmits_on_nak_of_its_block_and_acks_other_naks():
    card = IsoDepCard(Echo(b"\x90\x00"))
    card.activate(b"\xe0\x80", 0.0)
    answer = card.receive(b"\x02\x00", 0.0).frame
    assert card.receive(b"\xb2", 0.0).frame == answer                   # lost answer: resend
    assert card.receive(b"\xb3", 0.0).frame == b"\xa2"                  # presence check


def test_card_on_a_lossless_link_never_sends_a_block_twice():
    card = IsoDepCard(Echo(bytes(30) + b"\x90\x00"), IsoDepTiming(fsci=0), lossless_link=True)
    card.activate(b"\xe0\x00", 0.0)
    assert card.receive(b"\x02\x00", 0.0).frame[0] == 0x12           # chained, bn 0
    assert card.receive(b"\xb2", 0.0) is None                          # crossed in flight
    assert card.receive(b"\xa3", 0.0).frame[0] == 0x13                 # next piece, bn 1
    assert card.receive(b"\xa3", 0.0) is None                          # the ACK repeated
    assert card.receive(b"\xb2", 0.0).frame == b"\xa3"                 # presence check


def test_card_asks_for_wtx_and_answers_once_ready():
    timing = IsoDepTiming()
    card = IsoDepCard(_Slow(1.0), timing)
    card.activate(b"\xe0\x80", 0.0)
    wtx = card.receive(b"\x03\x00", 0.0)
    assert wtx.frame[0] == 0xF2 and wtx.send_at == 0.0
    assert wtx.frame[1] * timing.fwt * timing.wtx_fraction >= 1.0      # window covers it
    final = card.receive(wtx.frame, 0.01)                              # reader's echo
    assert final.frame == b"\x03\x90\x00" and final.send_at == 1.0


def test_deselect_ends_the_card():
    card = IsoDepCard(Echo(b"\x90\x00"))
    card.activate(b"\xe0\x80", 0.0)
    assert card.receive(b"\xc2", 0.0).frame == b"\xc2"
    assert card.deselected and card.receive(b"\x02\x00", 0.0) is None


class _Slow:
    def __init__(self, delay: float):
        self.delay = delay

    def process_apdu(self, apdu: bytes) -> CardAction:
        return CardAction(b"\x90\x00", delay=self.delay)


# -- the bench's target-mode path, over nfcpy's own udp target driver ---------------------

def test_target_mode_path_serves_a_real_reader(phone):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clf = nfc.ContactlessFrontend(f"udp:127.0.0.1:{port}")
    result: dict[str, TapEnd] = {}
    server = threading.Thread(
        target=lambda: result.setdefault("end", TargetModeCard(clf, random.Random(3))
                                         .serve(phone, TAP_TIMEOUT)))
    server.start()
    try:
        with NfcReader(f"udp:127.0.0.1:{port}") as reader:
            session = reader.poll(TAP_TIMEOUT)
            assert session is not None
            assert session.select() == phone.address
            signature = session.sign_receipt(SignRequest(REF, 1, 60, 60, 1, ZERO_SIGNATURE))
            assert signer_of(signature, 60, 1) == phone.address
            session.close()
        server.join(TAP_TIMEOUT)
        assert result == {"end": TapEnd.DESELECTED}
    finally:
        server.join(TAP_TIMEOUT)
        clf.close()
