"""The bench's target-mode NFC path, run in CI over nfcpy's paired udp drivers: the rig's
phone emulated by an NFC device in target mode, read by the firmware's nfcpy reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.hardware import PartContext, create_part
from rig.hardware.profile import PROFILES
from rig.harness.assemble import build_machine


def _profile(tmp_path: Path) -> Path:
    path = tmp_path / "target-mode.toml"
    path.write_text((PROFILES / "emulated.toml").read_text()
                    .replace('kind = "emulated-field"', 'kind = "target-mode"'))
    return path


def test_a_coffee_paid_through_target_mode(platform, rng, tmp_path):
    m = build_machine(tmp_path / "machine", platform, rng, str(_profile(tmp_path)))
    try:
        nfc = m.describe_parts()["nfc"]
        assert nfc["kind"] == "target-mode" and nfc["device"].startswith("udp:127.0.0.1:")
        m.strategy.transition("synced")
        out = m.tap(m.phones[0], product=2)
        assert out.verdict == "served", out
        (signed,) = m.phones[0].wallet.receipts()
        assert signed.price == m.rental.terms.prices[2]
        assert [d["product_id"] for d in m.brew.dispenses()] == [2]
        assert m.describe_parts()["nfc"]["firmware"].startswith("Linux IP-Stack UDP")
    finally:
        m.close()


def test_a_real_device_needs_the_firmwares_reader_path(tmp_path):
    ctx = PartContext(tmp_path, tmp_path, __import__("random").Random(0))
    with pytest.raises(ValueError, match="reader is needed with device = 'usb:054c:0193'"):
        create_part("nfc", "target-mode", ctx, device="usb:054c:0193")
    with pytest.raises(ValueError, match="no NFC device for target mode there"):
        create_part("nfc", "target-mode", ctx, device="tty:COFFEENONE:pn532",
                    reader="tty:AMA0:pn532")
