"""The real firmware on the ``ssh-pi`` power part: started over SSH (an OpenSSH server on
127.0.0.1 plays the Pi), its power switched through labgrid's NetworkPowerDriver to the
emulated Shelly plug. A coffee is paid and dispensed; a cut through the plug leaves nothing
of the firmware (no zombie either); the machine boots again and recovers what was cut.
Once more with the Pi as a host elsewhere: tree deployed, config uploaded, console streamed.
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tomli_w

from emulators.plug import Relay, ShellyPlug
from rig.faults import make_fault
from rig.harness.assemble import build_machine
from rig.harness.machine_rig import MachineRig
from rig.hosts.local import LocalHosts
from tests.e2e.support import fault_ctx

ROOT = Path(__file__).resolve().parents[2]
TAP_TIMEOUT = 10.0


def _profile(tmp_path: Path, **power: object) -> Path:
    doc = tomllib.loads((ROOT / "profiles" / "emulated.toml").read_text())
    doc["profile"]["name"] = "ssh-pi"
    doc["power"] = {"kind": "ssh-pi", **power}
    path = tmp_path / "ssh-pi.toml"
    path.write_text(tomli_w.dumps(doc))
    return path


@pytest.fixture
def machine(platform, rng, tmp_path: Path) -> Iterator[Callable[..., MachineRig]]:
    built: list[MachineRig] = []

    def make(**power: object) -> MachineRig:
        m = build_machine(tmp_path / f"machine{len(built) + 1}", platform, rng,
                          str(_profile(tmp_path, **power)))
        built.append(m)
        return m

    yield make
    for m in built:
        m.close()


def _stat(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name: state, ppid, pgrp, ...; None once reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return None


def _group(pgid: int) -> list[int]:
    return [int(d.name) for d in Path("/proc").iterdir()
            if d.name.isdigit() and (s := _stat(int(d.name))) and int(s[2]) == pgid]


def _events(m: MachineRig) -> list[dict]:
    return [json.loads(line) for line in m.pi.console.read_text().splitlines()
            if line.startswith("{")]


def test_paid_dispensed_cut_through_the_plug_and_recovered(machine):
    m = machine()
    part = m.parts["power"]
    assert part.describe() == {"driver": "ssh + labgrid NetworkPowerDriver(shelly_gen1)",
                               "host": f"{getpass.getuser()}@127.0.0.1:{part.host.address.port}"}
    m.power_on()
    m.wait_synced()
    pid = part.pid
    env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert any(v.startswith(b"SSH_CONNECTION=127.0.0.1 ") for v in env)   # sshd started it
    assert b"COFFEEPAY_PI_SDCARD=volatile" in env
    assert part.relay_on is True

    out = m.tap(m.phones[0], product=2, timeout=TAP_TIMEOUT)
    assert out.verdict == "served", out
    (dispensed,) = m.board.dispenses.records()
    assert dispensed.product_id == 2 and dispensed.brew_id == out.brew_id
    assert m.phones[0].wallet.receipts()[-1].cumulative_amount == m.rental.terms.prices[2]

    # Paid, then the plug goes off before the brew starts.
    ctx, mark = fault_ctx(m), m.control.mark()
    cut = make_fault("power.cut_at_checkpoint", {"checkpoint": "receipt-persisted",
                                                 "wait_seconds": 20})
    cut.fire(ctx)
    out = m.tap(m.phones[1], product=1, timeout=TAP_TIMEOUT)
    assert out.verdict == "interrupted", out
    assert not m.powered and part.relay_on is False
    assert _stat(pid) is None and _group(pid) == []   # the whole group gone, reaped
    (paid,) = [c for c in m.control.checkpoints[mark:] if c.name == "receipt-persisted"]

    cut.heal(ctx)                                      # the plug on: the Pi boots again
    assert m.powered and part.boots == 2 and part.pid != pid
    assert Path(f"/proc/{part.pid}/environ").exists()
    status = m.wait_until(lambda s: not s["unfinished_brews"], mine=False,
                          what="the cut brew resolved after the reboot")
    assert status["boot"] == 2 and status["credits"] == m.rental.terms.prices[1]
    assert [c.data["brew_id"] for c in m.control.checkpoints[mark:]
            if c.name == "credit-granted"] == [paid.data["brew_id"]]
    out = m.tap(m.phones[1], product=1, timeout=TAP_TIMEOUT)   # the credit pays for it
    assert out.verdict == "served" and out.sequence is None, out
    assert len(m.board.dispenses.records()) == 2

    boots = [e for e in _events(m) if e["event"] == "boot"]
    assert len(boots) == 2                             # the console holds both boots
    m.shutdown()                                       # SIGTERM over SSH, a clean exit
    assert not m.powered and part.host.exit_code == 0
    last = part.pid
    m.close()
    assert _stat(last) is None


def test_a_pi_elsewhere_gets_the_tree_and_config_and_streams_its_console(machine, tmp_path):
    with LocalHosts(count=1, prefix="far") as far:
        remote = tmp_path / "far-pi"
        m = machine(host=f"{getpass.getuser()}@127.0.0.1:{far.ports['far-1']}",
                    identity=str(far.identity), known_hosts=str(far.known_hosts),
                    python=sys.executable, workdir=str(remote))
        m.power_on()
        part = m.parts["power"]
        assert (remote / "tree" / "firmware" / "__main__.py").is_file()
        assert (remote / "machine.toml").read_text() == m.config_path.read_text()
        assert part.console.parent == m.workdir and part.console != remote / "console.jsonl"
        m.wait_synced()
        assert m.tap(m.phones[0], product=1, timeout=TAP_TIMEOUT).verdict == "served"

        # The SD card's fault file goes over SFTP: the card cuts at the next sync.
        ctx = fault_ctx(m)
        cut = make_fault("power.cut_at_write", {"k": 1})
        cut.fire(ctx)
        assert json.loads((remote / "sdcard-faults.json").read_text())["cut_after_syncs"] == 1
        out = m.tap(m.phones[1], product=1, timeout=TAP_TIMEOUT)
        assert out.verdict == "interrupted", out
        assert part.host.exit_code == -9 and not m.powered
        cut.heal(ctx)                                  # powers on again
        assert m.powered and part.boots == 2
        m.wait_until(lambda s: not s["unfinished_brews"] and not s["open_tx"], mine=True,
                     what="recovered after the SD card's cut")
        m.shutdown()
        local = part.console.read_text()
        assert local == (remote / "console.jsonl").read_text()   # streamed, whole
        assert len([e for e in _events(m) if e["event"] == "boot"]) == 2
        m.close()


def test_a_plug_the_rig_does_not_own_is_switched_and_the_pi_waited_for(machine):
    """``plug = {model, host}``: the rig only switches it; here the test wires its relay to
    the firmware as mains would be. After off the rig drops the dead Pi's connection; after
    on it waits for the Pi's SSH server, reconnects and starts the firmware."""
    holder: list[MachineRig] = []

    def mains(on: bool) -> None:
        if not on and holder and holder[0].parts["power"].pid:
            os.killpg(holder[0].parts["power"].pid, signal.SIGKILL)

    with ShellyPlug([Relay(on_switch=mains)]) as plug:
        m = machine(plug={"model": "shelly_gen1", "host": plug.url.removeprefix("http://")})
        holder.append(m)
        part = m.parts["power"]
        m.power_on()
        first = part.pid
        assert plug.relays[0].ison and m.powered
        m.power_cut()
        assert not plug.relays[0].ison and not m.powered   # at once: nothing is waited for
        deadline = time.monotonic() + 5
        while _stat(first) is not None and time.monotonic() < deadline:
            time.sleep(0.02)                           # its supervisor reaps it
        assert _stat(first) is None
        m.power_on()
        assert part.boots == 2 and part.pid != first and m.powered
        m.wait_synced()
        m.close()
