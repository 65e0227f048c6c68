"""nfcpy's real tty transport and pn532 driver against the emulated chip on a pty, bridged to
the emulated field and phones; and the chip's line discipline seen from a raw serial port."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nfc
import nfc.clf
import nfc.tag.tt4
import pytest
import serial

from emulators.nfc import Field, TapEnd
from emulators.nfc.pn532 import (
    ChipStartError,
    DeviceNode,
    DeviceNodeError,
    EmulatedPn532,
    FieldBridge,
)
from emulators.nfc.pn532.frame import ACK, ERROR_FRAME, NACK, encode
from emulators.phone import ChannelKey, Phone
from firmware.nfc import ChannelRef, NfcReader, SignRequest

pytestmark = pytest.mark.skipif(not os.access("/dev", os.W_OK),
                                reason="the chip's /dev/ttyCOFFEE* link needs write access to /dev")

AID = bytes.fromhex("F0434F4646454501")          # CoffeePay NFC v1
CHAIN, CONTRACT, CHANNEL = 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", b"\x42" * 32
GET_FIRMWARE_VERSION = encode(bytes.fromhex("d402"))
FIRMWARE_VERSION_RSP = encode(bytes.fromhex("d50332010607"))
RDWR = {"on-connect": lambda tag: False, "targets": ["106A"], "iterations": 1, "interval": 0}


@pytest.fixture
def field() -> Iterator[Field]:
    with Field(random.Random(7)) as f:
        yield f


@pytest.fixture
def chip(field: Field) -> Iterator[EmulatedPn532]:
    with EmulatedPn532(("127.0.0.1", field.port)) as c:
        yield c


@pytest.fixture
def clf(chip: EmulatedPn532) -> Iterator[nfc.ContactlessFrontend]:
    frontend = nfc.ContactlessFrontend(chip.device_path)
    yield frontend
    frontend.close()


@pytest.fixture
def phone() -> Phone:
    p = Phone.generate(random.Random(3), name="alice")
    p.wallet.set_channel(ChannelKey(CHAIN, CONTRACT, CHANNEL), [p.address])
    return p


@pytest.fixture
def line(chip: EmulatedPn532) -> Iterator[serial.Serial]:
    """The chip's UART as a host sees it, without nfcpy."""
    with serial.Serial(chip.port, 115200, timeout=0.3) as port:
        yield port


def wallet_of(phone: Phone) -> bytes:
    return bytes([0x01]) + bytes.fromhex(phone.address[2:])


# -- nfcpy's driver ------------------------------------------------------------------------

def test_nfcpy_opens_the_chip_as_a_pn532_on_its_dev_link(chip, clf):
    assert clf.device.chipset_name == "PN532v1.6"
    assert clf.device.path == chip.port == f"/dev/{chip.node.name}"
    assert os.path.realpath(chip.port) == chip.pts and chip.pts.startswith("/dev/pts/")
    state = chip.chip.state
    assert state.baudrate == 921600             # the driver switched the UART up
    assert state.parameters == 0                # and turned the chip's own RATS off
    assert chip.chip.commands["Diagnose"] == 1 and not chip.stats.rejected


def test_select_through_the_chip_reaches_the_wallet(field, clf, phone):
    field.present(phone)
    tag = clf.connect(rdwr=RDWR)
    assert isinstance(tag, nfc.tag.tt4.Type4ATag)
    assert tag.send_apdu(0x00, 0xA4, 0x04, 0x00, AID, mrl=256) == wallet_of(phone)
    assert field.remove() is TapEnd.REMOVED


def test_a_tap_pays_through_the_firmware_reader_and_ends_as_on_the_udp_driver(
        field, chip, phone):
    with ThreadPoolExecutor(1) as pool, NfcReader(chip.device_path) as reader:
        ending = pool.submit(field.tap, phone, 10.0)
        session = reader.poll(3.0)
        assert session is not None
        assert session.select() == phone.address
        assert session.get_last_receipt(CHAIN, CONTRACT, CHANNEL) is None
        session.sign_receipt(SignRequest(ChannelRef(CHAIN, CONTRACT, CHANNEL), 1, 120, 120, 2))
        assert ending.result(10) is TapEnd.COMPLETED
    [receipt] = phone.wallet.receipts()
    assert (receipt.sequence, receipt.cumulative_amount) == (1, 120)


def test_an_empty_field_polls_empty_in_about_the_poll_timeout(chip, clf):
    assert clf.sense(nfc.clf.RemoteTarget("106A")) is None
    clf.close()
    listed = chip.chip.commands["InListPassiveTarget"]
    with NfcReader(chip.device_path) as reader:
        started = time.monotonic()
        assert reader.poll(0.3) is None
        took = time.monotonic() - started
        assert reader.stats.discovered == 0
    assert 0.3 <= took < 0.9, took             # the udp driver needs 1 s per empty cycle
    assert chip.chip.commands["InListPassiveTarget"] - listed >= 2   # several sense cycles


def test_the_chip_reopens_after_the_driver_closed_it(chip, clf, field, phone):
    clf.close()                                 # 115200 baud again, PowerDown
    assert chip.chip.state.asleep and chip.chip.state.baudrate == 115200
    field.present(phone)
    with NfcReader(chip.device_path) as reader:   # a rebooted Pi opens it again
        session = reader.poll(3.0)
        assert session is not None and session.select() == phone.address


def test_closing_removes_the_dev_link_and_is_idempotent(field):
    chip = EmulatedPn532(("127.0.0.1", field.port)).start()
    link = Path(chip.port)
    assert link.is_symlink() and os.readlink(link) == chip.pts
    chip.close()
    assert not link.exists() and not link.is_symlink()
    chip.close()
    with pytest.raises(ChipStartError, match="not started"):
        _ = chip.device_path


def test_two_chips_get_distinct_names(field):
    with EmulatedPn532(("127.0.0.1", field.port)) as a, \
            EmulatedPn532(("127.0.0.1", field.port)) as b:
        assert a.port != b.port and a.pts != b.pts
        assert a.node.name.startswith(f"ttyCOFFEE{os.getpid()}x")


# -- the line, raw ---------------------------------------------------------------------------

def test_a_frame_with_a_bad_checksum_gets_no_ack_and_is_reported(chip, line):
    line.write(bytes.fromhex("0000ff02fed4022b00"))          # DCS off by one
    assert line.read(6) == b""
    assert any("data checksum (DCS) is wrong" in r for r in chip.stats.rejected)
    line.write(GET_FIRMWARE_VERSION)                         # the next frame is answered
    assert line.read(len(ACK) + len(FIRMWARE_VERSION_RSP)) == ACK + FIRMWARE_VERSION_RSP


def test_a_command_the_chip_cannot_run_gets_the_syntax_error_frame(chip, line):
    line.write(encode(bytes.fromhex("d44001")))             # InDataExchange
    assert line.read(len(ACK) + len(ERROR_FRAME)) == ACK + ERROR_FRAME
    line.write(NACK)                                         # "say that again"
    assert line.read(len(ERROR_FRAME)) == ERROR_FRAME
    line.write(encode(bytes.fromhex("d502")))                # not a host frame
    assert line.read(len(ACK) + len(ERROR_FRAME)) == ACK + ERROR_FRAME
    assert chip.stats.refused == 2
    assert any("InDataExchange" in r for r in chip.stats.rejected)


def test_an_ack_cancels_a_command_waiting_for_a_card(chip, line):
    line.write(encode(bytes.fromhex("d44a0100")))            # retries forever (reset value)
    assert line.read(len(ACK)) == ACK
    assert line.read(1) == b""                               # no card: still searching
    line.write(ACK)
    assert line.read(1) == b""
    line.write(GET_FIRMWARE_VERSION)
    assert line.read(len(ACK) + len(FIRMWARE_VERSION_RSP)) == ACK + FIRMWARE_VERSION_RSP
    assert chip.stats.aborted == 1


def test_a_host_dying_mid_frame_does_not_block_the_next_one(chip):
    with serial.Serial(chip.port, 115200) as dying:
        dying.write(encode(bytes.fromhex("d400") + bytes(200))[:40])
    time.sleep(0.25)
    frontend = nfc.ContactlessFrontend(chip.device_path)
    try:
        assert frontend.device.chipset_name == "PN532v1.6"
    finally:
        frontend.close()


# -- the /dev link and the bridge ----------------------------------------------------------

def test_no_writable_dev_is_a_clear_error(field, tmp_path):
    with pytest.raises(DeviceNodeError, match=r"needs write access to .*missing"):
        EmulatedPn532(("127.0.0.1", field.port), dev=tmp_path / "missing").start()


def test_links_of_dead_processes_are_swept_and_live_ones_kept(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / f"ttyCOFFEE{dead.pid}x0").symlink_to("/dev/pts/999")
    (tmp_path / f"ttyCOFFEE{os.getpid()}x999").symlink_to("/dev/pts/998")
    (tmp_path / "ttyOTHER1x0").symlink_to("/dev/pts/997")
    node = DeviceNode.create("/dev/pts/996", dev=tmp_path)
    try:
        names = sorted(p.name for p in tmp_path.iterdir())
        assert f"ttyCOFFEE{dead.pid}x0" not in names
        assert {f"ttyCOFFEE{os.getpid()}x999", "ttyOTHER1x0", node.name} <= set(names)
    finally:
        node.remove()
    assert not node.path.is_symlink()


def test_a_link_replaced_by_someone_else_is_left_alone(tmp_path):
    node = DeviceNode.create("/dev/pts/995", dev=tmp_path)
    node.path.unlink()
    node.path.symlink_to("/dev/pts/994")
    node.remove()
    assert os.readlink(node.path) == "/dev/pts/994"


def test_a_silent_or_gone_card_side_is_silence_not_an_error():
    with Field(random.Random(1)) as f:
        bridge = FieldBridge(("127.0.0.1", f.port))
    try:
        assert bridge.transceive(b"\x26", 0.05) is None      # ICMP unreachable: silence
        bridge.field_off()
    finally:
        bridge.close()
    with pytest.raises(ChipStartError, match="cannot reach the card side"):
        FieldBridge(("256.0.0.1", 1))


def test_late_answers_are_kept_within_a_session_and_dropped_by_a_new_activation():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as card:
        card.bind(("127.0.0.1", 0))
        card.settimeout(1.0)
        bridge = FieldBridge(card.getsockname())
        try:
            assert bridge.transceive(b"\x26", 0.01) is None     # the card is slow
            raw, reader = card.recvfrom(100)
            assert raw == b"106A 26"
            card.sendto(b"106A 0400", reader)                    # its SENS_RES, too late
            time.sleep(0.05)
            assert bridge.transceive(b"\x93\x20", 0.01) == b"\x04\x00"   # queued: taken next
            card.recvfrom(100)
            card.sendto(b"106A 0400", reader)
            time.sleep(0.05)
            bridge.flush()                                       # a new REQA starts afresh
            assert bridge.transceive(b"\x26", 0.01) is None
            card.recvfrom(100)
            bridge.field_off()
            assert card.recvfrom(100)[0] == b"RFOFF"
        finally:
            bridge.close()
