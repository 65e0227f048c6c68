"""`rig doctor`: each part and the chain probed through the drivers a run uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rig.doctor import examine, format_finding
from rig.hardware import load_profile
from rig.hardware.protocols import Part
from rig.hardware.registry import PartContext, register

ROOT = Path(__file__).resolve().parents[2]


def test_the_emulated_profile_is_all_ok_and_exits_0():
    out = subprocess.run([sys.executable, "-m", "rig.cli", "doctor"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    for part, said in (("nfc", "UDP"), ("sensors", "found TMP102 0x48, INA219 0x40, "
                                                   "status MCU 0x42"),
                       ("brew", "ready"), ("power", "emulated Pi"), ("chain", "chain id")):
        assert any(line.startswith("OK") and part in line and said in line for line in lines), \
            (part, out.stdout)
    assert lines[-1] == "rig doctor: 5 OK, 0 FAIL"


class _AbsentReader(Part):
    """A reader the profile names at a device path where there is none."""

    def __init__(self, ctx: PartContext) -> None: ...

    def config(self) -> dict:
        return {"device": "tty:COFFEENOPE:pn532", "poll_timeout": 0.3}

    def describe(self) -> dict[str, str]:
        return {"driver": "nfcpy tty pn532", "device": "/dev/COFFEENOPE"}

    def close(self) -> None: ...


def test_an_absent_reader_and_an_unreachable_node_fail_with_what_to_fix(tmp_path):
    register("nfc", "test-absent-reader")(_AbsentReader)
    profile = tmp_path / "absent.toml"
    profile.write_text((ROOT / "profiles" / "emulated.toml").read_text()
                       .replace('kind = "emulated-field"', 'kind = "test-absent-reader"'))
    found = {f.part: f for f in examine(load_profile(profile), "http://127.0.0.1:9")}
    assert not found["nfc"].ok and "tty:COFFEENOPE:pn532" in found["nfc"].detail
    assert "device path" in found["nfc"].fix
    assert not found["chain"].ok and "127.0.0.1:9" in found["chain"].detail
    assert found["sensors"].ok and found["brew"].ok and found["power"].ok
    assert format_finding(found["chain"]).splitlines()[1].strip().startswith("fix: ")


def test_the_wrong_chain_id_is_named(tmp_path):
    found = {f.part: f for f in examine(load_profile("emulated"), chain_id=5)}
    assert not found["chain"].ok and "chain id 31337, not 5" in found["chain"].detail


def test_the_firmware_selftest_needs_a_device():
    out = subprocess.run([sys.executable, "-m", "firmware.selftest"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2 and "name at least one device" in out.stderr


def test_the_bench_profile_without_its_hardware_fails_each_part_with_a_fix(tmp_path):
    """The real part kinds of profiles/bench.toml, pointed at nothing: every line names what
    is missing, nothing is a traceback, the exit code is 1."""
    profile = tmp_path / "bench.toml"
    profile.write_text((ROOT / "profiles" / "bench.toml").read_text()
                       .replace('"pi@coffeepi.local"', '"pi@127.0.0.1:1"')
                       .replace('host = "192.168.1.50"', 'host = "127.0.0.1:1"')
                       .replace('"usb:04e6:5591"', '"tty:COFFEENONE:pn532"'))
    out = subprocess.run([sys.executable, "-m", "rig.cli", "doctor", "--profile", str(profile)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    lines = out.stdout.splitlines()
    for part in ("nfc", "plug", "power", "firmware"):
        fail = next((i for i, line in enumerate(lines) if line.startswith(f"FAIL  {part} ")),
                    None)
        assert fail is not None and lines[fail + 1].strip().startswith("fix: "), \
            (part, out.stdout)
    assert "127.0.0.1:1" in out.stdout and lines[-1].startswith("rig doctor: 1 OK, 4 FAIL")
