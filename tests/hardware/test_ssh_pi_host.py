"""A program host over real SSH (an OpenSSH server on 127.0.0.1): a program started detached
outlives the SSH command, runs in its own process group, is killed and stopped over SSH and
reaped (never a zombie), and its console reaches this host; what keeps it from running is
named: no host, a refused key, an unknown host key, no Python, a program that exits at once.
"""

from __future__ import annotations

import getpass
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rig.hardware.ssh_host import (
    AuthRefused,
    HostKeyRejected,
    HostUnreachable,
    ProgramExitedAtOnce,
    PythonMissing,
    SshAddress,
    SshHost,
)
from rig.hosts.local import LocalHosts, _free_port

TICKER = "import time\nfor i in range(400):\n    print('tick', i, flush=True)\n    time.sleep(0.05)"


@pytest.fixture(scope="module")
def pi() -> Iterator[LocalHosts]:
    with LocalHosts(count=1, prefix="pi") as hosts:
        yield hosts


def _address(hosts: LocalHosts) -> SshAddress:
    return SshAddress("127.0.0.1", hosts.ports[hosts.names[0]], getpass.getuser())


@pytest.fixture(params=["same-host", "remote"])
def host(pi: LocalHosts, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SshHost]:
    """The same server seen both ways: sharing this host's files (the program writes the
    console itself), and as a remote host (its console streamed over SSH)."""
    same = request.param == "same-host"
    h = SshHost(_address(pi), console=tmp_path / "console.jsonl",
                workdir=str(tmp_path if same else tmp_path / "remote"), identity=pi.identity,
                known_hosts=pi.known_hosts, python=sys.executable, same_host=same,
                owner=os.getpid())
    yield h
    if h.alive:
        h.kill()
    h.close()


def _state(pid: int) -> str | None:
    """The process's state letter, None once it is gone (reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return None


def _group(pgid: int) -> list[int]:
    members = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rpartition(")")[2].split()[2]) == pgid:
                    members.append(int(d.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return members


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_detached_program_runs_in_its_own_group_and_is_killed_and_reaped(host: SshHost):
    started = time.monotonic()
    pid = host.start([sys.executable, "-c", TICKER + "\nimport os; os.system('sleep 60')"],
                     env={"PI_MARKER": "m-7"})
    assert time.monotonic() - started < 10        # the SSH command did not wait for it
    assert host.alive and host.running()
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    assert int(stat[2]) == pid and int(stat[3]) == pid   # its own process group and session
    env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"PI_MARKER=m-7" in env
    assert any(v.startswith(b"SSH_CONNECTION=") for v in env)   # started over SSH
    _wait_for(lambda: "tick 3" in host.console.read_text() if host.console.exists() else False)
    assert host.kill() == -9
    assert not host.alive and not host.running()
    assert _state(pid) is None                             # reaped by its supervisor
    # its child died with it (a zombie until this VM's init reaps the orphan)
    assert all(_state(p) in (None, "Z") for p in _group(pid))
    lines = host.console.read_text().splitlines()
    assert lines[0] == "tick 0" and all(line.startswith("tick ") for line in lines)


def test_stop_is_sigterm_and_the_whole_console_is_collected(host: SshHost):
    host.start([sys.executable, "-c", "import signal, sys, time\n"
                "signal.signal(signal.SIGTERM, lambda *a: (print('bye', flush=True), "
                "sys.exit(0)))\nprint('up', flush=True)\ntime.sleep(60)"])
    _wait_for(lambda: host.console.exists() and "up" in host.console.read_text())
    assert host.stop() == 0
    assert host.console.read_text().splitlines()[-2:] == ["up", "bye"]
    host.start(["sh", "-c", "echo second; sleep 60"])       # a second start appends
    _wait_for(lambda: "second" in host.console.read_text())
    assert host.stop() == -15
    assert host.console.read_text().splitlines()[-3:] == ["up", "bye", "second"]


def test_a_program_an_earlier_rig_left_running_is_killed_by_the_next_start(
        pi: LocalHosts, host: SshHost, tmp_path: Path):
    old = host.start(["sleep", "120"])
    host.close()                                   # the rig went away, the program did not
    assert _state(old) not in (None, "Z")
    again = SshHost(host.address, console=host.console, workdir=host.workdir,
                    identity=pi.identity, known_hosts=pi.known_hosts, python=sys.executable,
                    same_host=host.same_host)
    new = again.start(["sleep", "120"])
    assert new != old and _state(old) is None and again.running()
    assert again.kill() == -9
    again.close()


def test_a_program_that_exits_at_once_is_reported_with_its_console(host: SshHost):
    with pytest.raises(ProgramExitedAtOnce, match=r"exited at once \(exit status 2\).*\n"
                                                  r"firmware: bad config") as e:
        host.start(["sh", "-c", "echo 'firmware: bad config' >&2; exit 2"], settle=1.0)
    assert e.value.exit_code == 2 and not host.alive


def test_a_missing_python_is_named_with_the_fix(pi: LocalHosts, tmp_path: Path):
    h = SshHost(_address(pi), console=tmp_path / "c", workdir=str(tmp_path),
                identity=pi.identity, known_hosts=pi.known_hosts, python="python3.99")
    with pytest.raises(PythonMissing, match=r"has no 'python3.99' on its PATH: install Python "
                                            r"3.11 or newer .* python = "):
        h.python_version()
    h.close()
    assert SshHost(_address(pi), console=tmp_path / "c", identity=pi.identity,
                   known_hosts=pi.known_hosts, python=sys.executable).python_version() \
        == ".".join(str(n) for n in sys.version_info[:3])


def test_an_unreachable_host_is_named_with_what_to_check(tmp_path: Path):
    h = SshHost(SshAddress("127.0.0.1", _free_port(), "root"), console=tmp_path / "c",
                connect_timeout=3)
    with pytest.raises(HostUnreachable, match=r"root@127.0.0.1:\d+: cannot connect .*is the Pi "
                                              r"powered .*ssh -p \d+ root@127.0.0.1 true"):
        h.connect()


def test_a_refused_key_and_an_unknown_host_key_are_told_apart(pi: LocalHosts, tmp_path: Path):
    stranger = tmp_path / "stranger"
    os.system(f"ssh-keygen -q -t ed25519 -N '' -f {stranger}")
    h = SshHost(_address(pi), console=tmp_path / "c", identity=stranger,
                known_hosts=pi.known_hosts)
    with pytest.raises(AuthRefused, match=r"refused the key .*stranger.*ssh-copy-id"):
        h.connect()
    (tmp_path / "empty_known_hosts").write_text("")
    h = SshHost(_address(pi), console=tmp_path / "c", identity=pi.identity,
                known_hosts=tmp_path / "empty_known_hosts")
    with pytest.raises(HostKeyRejected, match=r"host key is not in .*empty_known_hosts.*"
                                              r"ssh-keyscan"):
        h.connect()


def test_the_address_forms_of_a_profile():
    assert SshAddress.parse("pi@raspberrypi.local") == SshAddress("raspberrypi.local", 22, "pi")
    assert str(SshAddress.parse("root@127.0.0.1:2222")) == "root@127.0.0.1:2222"
    assert SshAddress.parse("pi@[fe80::1]:2200") == SshAddress("fe80::1", 2200, "pi")
    with pytest.raises(ValueError, match="port must be a number"):
        SshAddress.parse("pi@host:ssh")
