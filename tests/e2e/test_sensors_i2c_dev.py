"""The real firmware reads the emulated sensor chips through smbus2 on /dev/i2c-1, the kernel
path it uses on the Pi, answered through umockdev by the ``umockdev-i2c`` sensors part."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from rig.hardware.profile import PROFILES
from rig.harness.assemble import build_machine

BOILER_OUT_OF_RANGE = 0x0131


def _profile(tmp_path: Path) -> Path:
    """The emulated profile with the sensors on /dev/i2c-1. The Pi boots cold: LD_PRELOAD
    takes effect when a program is executed, and a warm boot forks an interpreter that
    was started without it."""
    text = (PROFILES / "emulated.toml").read_text()
    text = text.replace('kind = "emulated-bus"', 'kind = "umockdev-i2c"')
    text = text.replace('boot = "warm"', 'boot = "cold"')
    assert 'kind = "umockdev-i2c"' in text and 'boot = "cold"' in text
    path = tmp_path / "umockdev-i2c.toml"
    path.write_text(text)
    return path


def _open_files(pid: int) -> set[str]:
    fds = Path(f"/proc/{pid}/fd")
    out = set()
    for fd in fds.iterdir():
        try:
            out.add(os.readlink(fd))
        except OSError:   # closed meanwhile
            continue
    return out


def test_the_firmware_brews_by_the_temperature_it_reads_over_dev_i2c(platform, rng, tmp_path):
    m = build_machine(tmp_path / "machine", platform, rng, profile=str(_profile(tmp_path)))
    try:
        part = m.parts["sensors"]
        assert m.describe_parts()["sensors"] == {
            "kind": "umockdev-i2c", "driver": "smbus2 i2c-dev via umockdev",
            "device": "/dev/i2c-1"}
        assert tomllib.loads(m.config_path.read_text())["sensors"] == {"bus": 1,
                                                                       "interval": 0.2}
        m.pi.extra_env.update(part.firmware_env())  # until the rig merges firmware_env()
        part.set_temperature(150.0)   # above the firmware's 120 °C boiler limit
        m.power_on()
        m.wait_synced()

        # the firmware's own view, over the control socket: the boiler reads out of range
        status = m.wait_until(lambda s: [BOILER_OUT_OF_RANGE, "boiler_temp:out_of_range"]
                              in s["sensor_faults"], what="boiler out of range")
        assert status["sensor_faults"] == [[BOILER_OUT_OF_RANGE, "boiler_temp:out_of_range"]]
        refused = m.tap(m.phones[0], product=2)
        assert refused.verdict == "refused" and f"0x{BOILER_OUT_OF_RANGE:04x}" in refused.reason

        part.set_temperature(93.0)
        m.wait_until(lambda s: s["sensor_faults"] == [], what="boiler back in range")
        served = m.tap(m.phones[0], product=2)
        assert served.verdict == "served", served
        (dispensed,) = m.board.dispenses.records()
        assert dispensed.product_id == 2 and dispensed.brew_id == served.brew_id

        # it was the firmware's own smbus2 on the emulated node: the process runs under
        # umockdev with this testbed and holds the node's pseudo-terminal open
        pid = m.pi.pid
        assert pid is not None
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"UMOCKDEV_DIR={part.testbed.root}".encode() in environ
        assert "libumockdev-preload" in Path(f"/proc/{pid}/maps").read_text()
        node = os.readlink(part.testbed.root / "dev" / "i2c-1")
        assert node in _open_files(pid)
        assert part.testbed.handler.clients == 1
        transfers = part.bus.transfers
        m.wait_until(lambda s: part.bus.transfers > transfers, mine=False,
                     what="the sensor loop still reading")
        assert part.testbed.handler.requests["I2C_SMBUS"] > 0
    finally:
        m.close()
    assert not part.testbed.root.exists()
