"""The bench's real part kinds: what they ask the firmware to open, what they can and
cannot do, and how they tell the person at the bench what to do."""

from __future__ import annotations

import random

import pytest

from rig.hardware import PartContext, create_part
from rig.hardware.person import Person, PromptError
from rig.hardware.protocols import capabilities_of


@pytest.fixture
def ctx(tmp_path):
    return PartContext(tmp_path, tmp_path, random.Random(0))


def test_a_person_is_told_through_the_prompt_command(tmp_path):
    said = tmp_path / "said"
    Person(f"echo {{message}} >> {said}").tell("tap the phone 0xabc on the reader now")
    assert said.read_text() == "tap the phone 0xabc on the reader now\n"


def test_a_failing_prompt_is_an_error_not_silence():
    with pytest.raises(PromptError, match="exited 3"):
        Person("exit 3").tell("press product 1")


def test_without_a_prompt_the_terminal_is_told(capsys):
    Person().tell("press product 2 on the machine's panel")
    assert capsys.readouterr().err == "[rig] press product 2 on the machine's panel\n"


def test_a_serial_board_is_a_port_and_no_witness(ctx):
    board = create_part("brew", "serial-board", ctx, port="/dev/ttyUSB1")
    assert board.config() == {"port": "/dev/ttyUSB1", "timeout": 30.0}
    assert capabilities_of(board) == frozenset()
    with pytest.raises(ValueError, match="must be a device path such as /dev/ttyUSB0"):
        create_part("brew", "serial-board", ctx, port="ttyUSB0")


def test_the_kernel_bus_asks_a_person_to_press_the_button(ctx, tmp_path):
    said = tmp_path / "said"
    bus = create_part("sensors", "i2c-bus", ctx, bus=1, prompt=f"echo {{message}} > {said}")
    assert bus.config() == {"bus": 1, "interval": 0.2}
    assert bus.describe()["device"] == "/dev/i2c-1"
    assert capabilities_of(bus) == {"product_panel"}
    bus.select_product(3)  # type: ignore[attr-defined]
    assert said.read_text() == "press product 3 on the machine's panel\n"
    with pytest.raises(ValueError, match="bus must be the I2C bus number"):
        create_part("sensors", "i2c-bus", ctx, bus="/dev/i2c-1")


def test_a_warm_boot_refuses_a_preload_it_could_not_apply(ctx):
    pi = create_part("power", "emulated-pi", ctx, boot="warm")
    try:
        with pytest.raises(ValueError, match="set boot = 'cold'"):
            pi.set_env({"LD_PRELOAD": "libumockdev-preload.so.0"})  # type: ignore[attr-defined]
    finally:
        pi.close()
    cold = create_part("power", "emulated-pi", ctx, boot="cold")
    cold.set_env({"LD_PRELOAD": "libumockdev-preload.so.0"})  # type: ignore[attr-defined]
    assert cold.pi.extra_env["LD_PRELOAD"] == "libumockdev-preload.so.0"  # type: ignore[attr-defined]
    cold.close()


def test_the_emulated_pi_copies_a_card_whole_and_names_a_missing_one(ctx, tmp_path):
    pi = create_part("power", "emulated-pi", ctx, boot="cold")
    card = tmp_path / "sdcard"
    card.mkdir()
    (card / "machine.db").write_text("v1")
    target = tmp_path / "backups" / "monday"
    pi.copy_dir(str(card), str(target))  # type: ignore[attr-defined]
    (card / "machine.db").write_text("v2")
    pi.copy_dir(str(card), str(target))  # type: ignore[attr-defined]
    assert (target / "machine.db").read_text() == "v2"
    assert not (tmp_path / "backups" / "monday.partial").exists()
    with pytest.raises(FileNotFoundError, match="no such directory on this host"):
        pi.copy_dir(str(tmp_path / "nothing"), str(target))  # type: ignore[attr-defined]
    assert (target / "machine.db").read_text() == "v2"      # a failed copy kept the old one
    pi.close()


def test_an_emulated_sensor_board_names_its_chips_for_an_unknown_one(ctx):
    bus = create_part("sensors", "emulated-bus", ctx)
    try:
        with pytest.raises(KeyError, match=r"no chip 'tmp101'.*chips: tmp102, ina219, status_mcu"):
            bus.inject_chip("tmp101", "missing")  # type: ignore[attr-defined]
    finally:
        bus.close()
