"""The ``ssh-pi`` part without a chain: what keeps the firmware from booting comes back from
``power_on`` as the SSH host's own error (through the emulated plug's relay), and a profile's
wrong parameters are named."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rig.hardware import PartContext, create_part
from rig.hardware.parts.ssh_pi import SshPiError, SshPiPower
from rig.hardware.protocols import capabilities_of
from rig.hardware.ssh_host import ProgramExitedAtOnce, PythonMissing


def _part(tmp_path: Path, **params: object) -> SshPiPower:
    part = create_part("power", "ssh-pi", PartContext(tmp_path, tmp_path, random.Random(1)),
                       **params)
    assert isinstance(part, SshPiPower)
    return part


def test_it_is_a_firmware_host_with_storage_faults_and_card_copies(tmp_path: Path):
    part = _part(tmp_path)
    try:
        assert capabilities_of(part) == {"firmware_host", "storage_faults", "card_copies"}
        assert part.config() == {} and not part.powered and part.relay_on is False
        assert part.console == tmp_path / "console.jsonl"
    finally:
        part.close()


def test_a_missing_python_on_the_pi_comes_back_from_power_on(tmp_path: Path):
    part = _part(tmp_path, python="python3.99")
    try:
        with pytest.raises(PythonMissing, match=r"has no 'python3\.99' on its PATH"):
            part.power_on()
        assert not part.powered and part.boots == 0
        assert part.relay_on is True               # the plug did switch; the Pi did not boot
    finally:
        part.close()


def test_a_firmware_that_exits_at_once_shows_its_console(tmp_path: Path):
    (tmp_path / "machine.toml").write_text("this is not toml")
    part = _part(tmp_path, settle=5.0)
    try:
        with pytest.raises(ProgramExitedAtOnce, match=r"exited at once \(exit status 2\).*\n"
                                                      r"(.*\n)*firmware: bad config"):
            part.power_on()
        assert not part.powered and part.boots == 1
    finally:
        part.close()


@pytest.mark.parametrize(("params", "message"), [
    ({"plug": "tasmota"}, r"plug must be \"emulated\" or a table"),
    ({"plug": {"model": "no_such_plug", "host": "10.0.0.9"}}, r"model 'no_such_plug' is not"),
    ({"sdcard": "ssd"}, r"sdcard 'ssd' is not one of volatile, host"),
    ({"host": "pi@raspberrypi:ssh"}, r"host: .*port must be a number"),
])
def test_wrong_parameters_are_named(tmp_path: Path, params: dict, message: str):
    with pytest.raises(SshPiError, match=message):
        _part(tmp_path, **params)
