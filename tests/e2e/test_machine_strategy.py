"""The machine strategy brings the machine to a state, doing only what is missing."""

from __future__ import annotations

import pytest

from rig.harness.strategy import MachineState, StrategyError


def test_off_booted_synced_idle_and_back_off(machine_factory):
    m = machine_factory()
    s = m.strategy
    assert s.transition("off") is None and not m.powered and m.host.boots == 0
    booted = s.transition(MachineState.BOOTED)
    assert booted is not None and booted.name == "booted" and m.host.boots == 1
    assert s.transition("booted") is None and m.host.boots == 1      # nothing was missing
    head = m.chain.block_number
    synced = s.transition("synced")
    assert synced is not None and synced.name == "synced" and synced.data["block"] >= head
    assert m.tap(m.phones[0], product=1).verdict == "served"
    s.transition("idle")
    assert not m.status()["open_tx"] and m.host.boots == 1
    s.transition("off")
    assert not m.powered
    s.transition("synced")                       # off → booted → synced in one call
    assert m.powered and m.host.boots == 2


def test_an_unknown_state_is_named_with_the_known_ones(machine_factory):
    m = machine_factory()
    with pytest.raises(StrategyError, match="no machine state 'warm'; known: off, booted, "
                                            "synced, idle"):
        m.strategy.transition("warm")
