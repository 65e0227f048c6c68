"""The ``emulated-pn532`` NFC part kind: what it tells the firmware and the run record, and
the real firmware paying a coffee through nfcpy's tty PN532 driver on it."""

from __future__ import annotations

import os
import random
import tomllib
from pathlib import Path

import pytest
import tomli_w

from rig.hardware import PartContext, create_part
from rig.hardware.profile import PROFILES
from rig.hardware.protocols import Part, PhonePresenter, capabilities_of
from rig.harness.assemble import build_machine

pytestmark = pytest.mark.skipif(not os.access("/dev", os.W_OK),
                                reason="the chip's /dev/ttyCOFFEE* link needs write access to /dev")


def pn532_profile(tmp_path: Path) -> Path:
    """profiles/emulated.toml with the NFC part swapped for the emulated PN532."""
    doc = tomllib.loads((PROFILES / "emulated.toml").read_text())
    doc["profile"]["name"] = "emulated-pn532"
    doc["nfc"] = {"kind": "emulated-pn532"}
    path = tmp_path / "emulated-pn532.toml"
    path.write_text(tomli_w.dumps(doc))
    return path


def open_files(pid: int) -> set[str]:
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
    return found


def test_the_part_configures_the_tty_driver_and_presents_phones(tmp_path):
    part = create_part("nfc", "emulated-pn532", PartContext(tmp_path, tmp_path,
                                                            random.Random(1)), poll_timeout=0.5)
    try:
        assert isinstance(part, Part) and isinstance(part, PhonePresenter)
        assert "phone_presenter" in capabilities_of(part)
        chip = part.chip  # type: ignore[attr-defined]
        assert part.config() == {"device": f"tty:{chip.node.name}:pn532", "poll_timeout": 0.5}
        assert part.describe() == {"driver": "nfcpy tty pn532",
                                   "device": f"/dev/{chip.node.name} -> {chip.pts}"}
        assert part.remove() is None            # the field is empty
        port = Path(chip.port)
        assert port.is_symlink()
    finally:
        part.close()
    assert not port.is_symlink()
    assert part.describe()["device"].startswith("/dev/ttyCOFFEE")   # still there for the record


def test_the_firmware_pays_a_coffee_through_the_emulated_pn532(platform, rng, tmp_path):
    m = build_machine(tmp_path / "machine", platform, rng, str(pn532_profile(tmp_path)))
    try:
        part = m.parts["nfc"]
        chip = part.chip  # type: ignore[attr-defined]
        port = Path(chip.port)
        assert (m.profile.name, m.profile.kind("nfc")) == ("emulated-pn532", "emulated-pn532")
        assert m.describe_parts()["nfc"]["driver"] == "nfcpy tty pn532"
        written = tomllib.loads(m.config_path.read_text())["nfc"]
        assert written["device"] == chip.device_path

        m.power_on()
        m.wait_synced()
        phone = m.phones[0]
        out = m.tap(phone, product=2)
        assert out.verdict == "served", out
        (signed,) = phone.wallet.receipts()
        price = m.rental.terms.prices[2]
        assert (signed.sequence, signed.cumulative_amount) == (1, price)
        latest = m.status()["latest"]
        assert (latest["sequence"], latest["cumulative"]) == (1, price)   # acknowledged
        (dispensed,) = m.board.dispenses.records()
        assert (dispensed.product_id, dispensed.brew_id) == (2, out.brew_id)

        # Really nfcpy's tty PN532 driver in the firmware's process, on the chip's pty.
        assert m.pi.pid is not None and chip.pts in open_files(m.pi.pid)
        assert chip.chip.state.baudrate == 921600
        assert chip.chip.commands["InCommunicateThru"] >= 4      # RATS, SELECT, GET LAST, SIGN
        assert m.status()["nfc"]["connected"] == 1
        assert not chip.stats.rejected, list(chip.stats.rejected)
    finally:
        m.close()
    assert not port.is_symlink()


def test_a_power_cut_while_the_firmware_polls_leaves_the_chip_usable(platform, rng, tmp_path):
    m = build_machine(tmp_path / "machine", platform, rng, str(pn532_profile(tmp_path)))
    try:
        m.power_on()
        m.wait_synced()
        chip = m.parts["nfc"].chip  # type: ignore[attr-defined]
        polled = chip.chip.commands["InListPassiveTarget"]
        m.wait_until(lambda s: chip.chip.commands["InListPassiveTarget"] > polled + 2,
                     what="the firmware polling the chip", mine=False)
        m.power_cut()                        # SIGKILL: the driver never closes the chip
        m.power_on()
        m.wait_synced()
        out = m.tap(m.phones[1], product=1)
        assert out.verdict == "served", out
        assert chip.stats.refused == 0, list(chip.stats.rejected)
    finally:
        m.close()
