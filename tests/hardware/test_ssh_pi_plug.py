"""The emulated Shelly gen1 plug, switched by labgrid's own NetworkPowerDriver (shelly_gen1):
on, off, get and cycle reach the relay, whose callback runs once per change of state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from labgrid import Target
from labgrid.driver import NetworkPowerDriver
from labgrid.resource import NetworkPowerPort

from emulators.plug import Relay, ShellyPlug


@pytest.fixture
def switched() -> Iterator[tuple[ShellyPlug, list[bool]]]:
    calls: list[bool] = []
    with ShellyPlug([Relay(on_switch=calls.append), Relay()]) as plug:
        yield plug, calls


def _driver(plug: ShellyPlug, index: int = 0, delay: float = 0.05) -> NetworkPowerDriver:
    target = Target("plug-test")
    NetworkPowerPort(target, name=None, model="shelly_gen1", host=plug.url, index=index)
    driver = NetworkPowerDriver(target, name=None, delay=delay)
    target.activate(driver)
    return driver


def test_labgrid_switches_the_relay_on_and_off_and_reads_it_back(switched):
    plug, calls = switched
    power = _driver(plug)
    assert power.get() is False
    power.on()
    assert power.get() is True and plug.relays[0].ison and calls == [True]
    power.on()                                   # on again: a relay that is on does nothing
    assert calls == [True]
    power.off()
    assert power.get() is False and calls == [True, False]
    assert plug.relays[0].source == "http" and plug.relays[0].switches == 2


def test_a_cycle_is_off_then_on(switched):
    plug, calls = switched
    power = _driver(plug)
    power.on()
    power.cycle()
    assert calls == [True, False, True] and power.get() is True


def test_each_relay_is_its_own(switched):
    plug, calls = switched
    second = _driver(plug, index=1)
    second.on()
    assert plug.relays[1].ison and not plug.relays[0].ison and calls == []
    assert [r["ison"] for r in requests.get(f"{plug.url}/status", timeout=5).json()["relays"]] \
        == [False, True]
    assert requests.get(f"{plug.url}/shelly", timeout=5).json()["num_outputs"] == 2


def test_what_the_gen1_api_refuses(switched):
    plug, _ = switched
    assert requests.get(f"{plug.url}/relay/2", timeout=5).status_code == 404
    assert requests.post(f"{plug.url}/relay/0", data={"turn": "up"}, timeout=5).status_code == 400
    assert requests.get(f"{plug.url}/relay/0?turn=on&timer=5", timeout=5).status_code == 400
    assert requests.get(f"{plug.url}/relay/0?turn=toggle", timeout=5).json()["ison"] is True


def test_a_load_that_fails_is_a_server_error_and_the_relay_is_switched_all_the_same():
    def broken(on: bool) -> None:
        raise RuntimeError("the Pi did not boot")

    with ShellyPlug([Relay(on_switch=broken)]) as plug:
        power = _driver(plug)
        with pytest.raises(requests.HTTPError, match="500"):
            power.on()
        answer = requests.get(f"{plug.url}/relay/0?turn=off", timeout=5)
        assert answer.status_code == 500 and "the Pi did not boot" in answer.text
        assert power.get() is False
