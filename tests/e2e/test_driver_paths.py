"""The driver-path profile runs the firmware through the bench's drivers, and the run record
proves it from the firmware's own report: nfcpy's PN532 tty driver, smbus2 on /dev/i2c-1,
pyserial, a process started over SSH and powered through labgrid's plug driver."""

from __future__ import annotations

from pathlib import Path

from rig.scenario.loader import load_scenario
from rig.scenario.runner import RunOptions, run_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "close-request-online.yaml"


def test_the_run_record_names_each_driver_the_firmware_used(tmp_path):
    result = run_scenario(load_scenario(SCENARIO),
                          RunOptions(run_seed=11, profile="emulated-drivers",
                                     workdir=tmp_path / "run"))
    assert result.outcome == "passed", result.message
    parts = result.record()["parts"]
    assert parts["nfc"]["kind"] == "emulated-pn532"
    assert parts["nfc"]["firmware"].startswith("PN532v1.6 at /dev/ttyCOFFEE"), parts["nfc"]
    assert parts["sensors"]["firmware"] == "smbus2.smbus2.SMBus on 1", parts["sensors"]
    assert parts["brew"]["firmware"].startswith("pyserial on /dev/pts/"), parts["brew"]
    assert parts["power"]["driver"] == "ssh + labgrid NetworkPowerDriver(shelly_gen1)"
    assert "@127.0.0.1:" in parts["power"]["host"], parts["power"]
