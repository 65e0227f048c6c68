"""The hardware contract: part kinds implement capability protocols, faults and steps
declare the capabilities they act through, and a profile lacking one is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.faults import fault_class
from rig.faults.registry import kinds as fault_kinds
from rig.hardware import load_profile
from rig.hardware.profile import profile_capabilities
from rig.hardware.protocols import (
    CAPABILITIES,
    DispenseWitness,
    MissingHardware,
    Part,
    capabilities_of,
)
from rig.hardware.registry import PartContext, factory, kinds, register
from rig.scenario.loader import load_scenario
from rig.scenario.needs import hardware_lacking, scenario_hardware

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_the_emulated_parts_implement_every_capability():
    assert profile_capabilities(load_profile("emulated")) == frozenset(CAPABILITIES)


def test_every_part_kind_implements_the_part_contract():
    for part, kind in kinds():
        made = factory(part, kind)
        assert Part in made.__mro__, f"{part}/{kind} does not claim Part: mypy cannot check it"
        for member in ("config", "describe", "close"):
            assert callable(getattr(made, member, None)), f"{part}/{kind} lacks {member}()"


@pytest.mark.parametrize("kind", fault_kinds())
def test_every_fault_kind_declares_known_hardware_capabilities(kind):
    declared = fault_class(kind).hardware     # AttributeError: the kind declared nothing
    assert declared <= set(CAPABILITIES), declared - set(CAPABILITIES)


def test_a_power_fault_needs_the_host_and_a_write_fault_the_card_too():
    assert fault_class("power.cut").hardware == {"firmware_host"}
    assert fault_class("power.cut_at_write").hardware == {"firmware_host", "storage_faults"}
    assert fault_class("net.blackhole").hardware == frozenset()


def test_a_scenario_names_what_it_acts_through():
    need = scenario_hardware(load_scenario(SCENARIOS / "sensor-missing-at-boot.yaml"))
    assert {"firmware_host", "sensor_faults"} <= need
    torn = scenario_hardware(load_scenario(SCENARIOS / "torn-write-and-kth-write.yaml"))
    assert "storage_faults" in torn


class _NoFaultHooks(Part, DispenseWitness):
    """A brew board that brews and records, but cannot have faults injected (a real board)."""

    def __init__(self, ctx: PartContext) -> None: ...

    def config(self) -> dict:
        return {"port": "/dev/null", "timeout": 1.0}

    def describe(self) -> dict[str, str]:
        return {"driver": "pyserial", "device": "/dev/null"}

    def dispenses(self) -> list[dict]:
        return []

    def close(self) -> None: ...


def test_a_part_without_a_protocol_lacks_that_capability(tmp_path):
    register("brew", "test-no-fault-hooks")(_NoFaultHooks)
    assert capabilities_of(_NoFaultHooks) == {"dispense_witness"}
    profile = tmp_path / "p.toml"
    text = (Path(__file__).resolve().parents[2] / "profiles" / "emulated.toml").read_text()
    profile.write_text(text.replace('kind = "emulated-board"', 'kind = "test-no-fault-hooks"')
                       .replace("time_scale = 0.01", "")
                       .replace('name = "emulated"', 'name = "no-fault-hooks"'))
    caps = profile_capabilities(load_profile(profile))
    assert "board_faults" not in caps and "dispense_witness" in caps
    serial = load_scenario(SCENARIOS / "brew-board-line-noise.yaml")
    why = hardware_lacking(serial, load_profile(profile))
    assert why.startswith("the profile 'no-fault-hooks' has no part with board_faults "
                          "(Fault hooks of the brew board"), why
    assert hardware_lacking(serial, load_profile("emulated")) == ""
    err = MissingHardware("board_faults", "this machine's brew part (test-no-fault-hooks)")
    assert "board_faults" in str(err) and "test-no-fault-hooks" in str(err)
