"""The emulated PN532's command set, command by command, against the emulated card side
(the same ``Presentation`` state machine the Field runs for a phone)."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence

import pytest

from emulators.nfc import CardAction, TypeAIdentity
from emulators.nfc.isodep import IsoDepTiming
from emulators.nfc.pn532 import CommandAborted, InvalidCommand, Pn532Chip
from emulators.nfc.presentation import Presentation

ATS = IsoDepTiming().ats()


class Echo:
    """A card application that answers every APDU with the APDU and 90 00."""

    def process_apdu(self, apdu: bytes) -> CardAction:
        return CardAction(apdu + b"\x90\x00")


class CardLink:
    """An RfLink straight into one card's state machine (or an empty field)."""

    def __init__(self, uid: bytes | None = None) -> None:
        self.card = None if uid is None else Presentation(
            Echo(), TypeAIdentity(uid), IsoDepTiming(), ends_on_session_end=False)
        self.sent: list[bytes] = []
        self.field_offs = 0

    def transceive(self, frame: bytes, timeout: float | None,
                   abort: Sequence[int] = ()) -> bytes | None:
        self.sent.append(frame)
        if self.card is None:
            return None
        reply, _ = self.card.handle(frame, time.monotonic())
        return reply.frame if reply else None

    def field_off(self) -> None:
        self.field_offs += 1
        if self.card is not None:
            self.card.field_off()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def run(chip: Pn532Chip, hexstr: str) -> bytes:
    """The response payload (after D5 and the response code) to command ``hexstr``."""
    command = bytes.fromhex(hexstr)
    answer = chip.execute(command)
    assert answer[:2] == bytes([0xD5, command[0] + 1])
    return answer[2:]


def nfcpy_setup(chip: Pn532Chip) -> None:
    """What nfcpy's pn532 Device.__init__ configures: no auto-RATS, one retry."""
    run(chip, "12 00")
    run(chip, "32 05 010001")


UID4, UID7 = bytes.fromhex("08a1b2c3"), bytes.fromhex("04112233445566")


def test_identifies_as_a_pn532_v1_6():
    assert run(Pn532Chip(CardLink()), "02") == bytes.fromhex("32010607")


def test_diagnose_line_test_echoes_the_test_number_and_data():
    data = "00" + bytes(range(256)).hex() + "000102030405"
    assert run(Pn532Chip(CardLink()), "00" + data) == bytes.fromhex(data)
    assert run(Pn532Chip(CardLink()), "00 01") == b"\x00"


def test_an_empty_field_lists_no_target_and_leaves_reqa_in_the_fifo():
    link = CardLink()
    chip = Pn532Chip(link, sense_window=0.001)
    nfcpy_setup(chip)
    assert run(chip, "4A 0100") == b"\x00"
    assert link.sent == [b"\x26", b"\x26"]          # one try plus MxRtyPassiveActivation 1
    assert run(chip, "06 6339") == b"\x26"          # what nfcpy reads to call the field empty


@pytest.mark.parametrize("uid", [UID4, UID7])
def test_a_card_is_listed_with_atqa_msb_first_sak_and_its_uid(uid):
    link = CardLink(uid)
    chip = Pn532Chip(link)
    nfcpy_setup(chip)
    sens_res = TypeAIdentity(uid).sens_res
    assert run(chip, "4A 0100") == (b"\x01\x01" + sens_res[::-1] + b"\x20"
                                    + bytes([len(uid)]) + uid)
    assert link.sent[0] == b"\x26" and link.sent[1] == b"\x93\x20"
    assert chip.state.target is not None and chip.state.target.uid == uid


def test_the_chips_own_rats_appends_the_ats_when_not_turned_off():
    chip = Pn532Chip(CardLink(UID4))            # reset default: fAutomaticRATS on
    assert run(chip, "4A 0100").endswith(ATS)


def test_a_uid_hint_selects_that_card_only():
    chip = Pn532Chip(CardLink(UID4), sense_window=0.001)
    nfcpy_setup(chip)
    assert run(chip, "4A 0100" + UID4.hex())[:2] == b"\x01\x01"
    run(chip, "32 0102")                        # field off: the card powers down
    assert run(chip, "4A 0100 08000000") == b"\x00"


def test_in_communicate_thru_reaches_the_card_and_times_out_on_silence():
    link = CardLink(UID4)
    chip = Pn532Chip(link)
    nfcpy_setup(chip)
    run(chip, "4A 0100")
    assert run(chip, "42 e080") == b"\x00" + ATS
    assert run(chip, "42 02 00a4040008f0434f4646454501") \
        == b"\x00\x02\x00\xa4\x04\x00\x08\xf0\x43\x4f\x46\x46\x45\x45\x01\x90\x00"
    run(chip, "32 020a0b01")                    # 100 µs
    assert run(chip, "42 a3") == b"\x01"        # R(ACK) of the block just answered: silence


def test_the_rf_timeout_follows_rfconfiguration_item_2():
    chip = Pn532Chip(CardLink())
    run(chip, "32 02000b0a")
    assert chip.state.rf_timeout == pytest.approx(0.0512)
    run(chip, "32 02000b00")
    assert chip.state.rf_timeout is None


def test_switching_the_field_off_reaches_the_card_once():
    link = CardLink(UID4)
    chip = Pn532Chip(link)
    run(chip, "32 0102")                        # already off: nothing on the air
    assert link.field_offs == 0
    run(chip, "4A 0100")
    run(chip, "32 0102")
    assert link.field_offs == 1 and chip.state.target is None
    run(chip, "16 b000")                        # PowerDown
    assert chip.state.asleep and link.field_offs == 1


def test_settings_the_driver_changes_are_kept():
    chip = Pn532Chip(CardLink())
    run(chip, "10 07")
    run(chip, "14 010000")
    run(chip, "08 630200 630340")
    assert chip.state.baudrate == 921600
    assert run(chip, "06 6302 6303") == b"\x00\x40"


def test_fifo_and_tx_control_registers():
    chip = Pn532Chip(CardLink())
    run(chip, "08 6339aa 6339bb")
    assert run(chip, "06 633a 6339 633a") == b"\x02\xaa\x01"
    run(chip, "08 633a80")
    assert run(chip, "06 633a") == b"\x00"
    assert run(chip, "06 6304")[0] & 0x03 == 0
    run(chip, "32 0101")
    assert run(chip, "06 6304")[0] & 0x03 == 0x03


@pytest.mark.parametrize("command, reason", [
    ("", "needs a command code"),
    ("40 0100a4", "InDataExchange) is not emulated"),
    ("8c 00", "TgInitAsTarget) is not emulated"),
    ("00", "test number"),
    ("00 07", "Diagnose test 0x07"),
    ("06 63", "2-byte addresses"),
    ("08 630200 63", "triples"),
    ("10 09", "SetSerialBaudrate"),
    ("12", "one flags byte"),
    ("14 05", "Mode 1..4"),
    ("16", "WakeUpEnable"),
    ("32 03 00", "item 03"),
    ("32 05 01", "takes 3 bytes, got 1"),
    ("32 02 000b11", "over 16"),
    ("4A 0105", "BrTy 0..4"),
    ("4A 0300", "MaxTg 1..2"),
    ("42", "needs data"),
])
def test_bad_commands_are_refused_with_the_reason(command, reason):
    with pytest.raises(InvalidCommand, match=re.escape(reason)):
        Pn532Chip(CardLink()).execute(bytes.fromhex(command))


class AbortingLink(CardLink):
    def transceive(self, frame: bytes, timeout: float | None,
                   abort: Sequence[int] = ()) -> bytes | None:
        self.sent.append(frame)
        if len(self.sent) == 5:
            raise CommandAborted("host wrote")
        return None


def test_retrying_forever_ends_when_the_host_cancels():
    link = AbortingLink()
    chip = Pn532Chip(link, sense_window=0.001)   # reset default: MxRtyPassiveActivation FF
    with pytest.raises(CommandAborted):
        chip.execute(bytes.fromhex("4A 0100"))
    assert link.sent == [b"\x26"] * 5


def test_sense_window_must_be_positive():
    with pytest.raises(ValueError, match="sense_window"):
        Pn532Chip(CardLink(), sense_window=0)


def test_random_uids_of_the_field_are_listed_whole():
    for seed in range(20):
        uid = TypeAIdentity.random(random.Random(seed)).uid
        chip = Pn532Chip(CardLink(uid))
        nfcpy_setup(chip)
        listed = run(chip, "4A 0100")
        assert listed[5] == len(uid) and listed[6:] == uid
