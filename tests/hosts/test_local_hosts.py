"""Hosts reached over real SSH (OpenSSH servers on 127.0.0.1): checked before a run, and a
host that is down or holds another state of the checkout is refused, naming it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rig.hosts import HostsError, load_hosts
from rig.hosts import check as host_check
from rig.hosts.local import LocalHosts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_hosts() -> Iterator[LocalHosts]:
    with LocalHosts(count=2) as hosts:
        yield hosts


def test_every_host_answers_with_this_checkout(local_hosts):
    lines: list[str] = []
    states = host_check.check_hosts(load_hosts(local_hosts.hosts_file), say=lines.append)
    assert [s.host.name for s in states] == ["rig-host-1", "rig-host-2"]
    assert all(s.state == host_check.local_state() for s in states)
    assert len(lines) == 2 and all(" OK " in line for line in lines)


def test_a_host_with_another_state_of_the_checkout_is_refused(local_hosts, monkeypatch):
    monkeypatch.setattr(host_check, "local_state", lambda: "0" * 40 + "\nabc  -")
    with pytest.raises(HostsError, match=r"host rig-host-1: the checkout .* is not at this one.s"):
        host_check.check_hosts(load_hosts(local_hosts.hosts_file), say=lambda _: None)


def test_a_host_that_is_down_is_named_with_the_fix(tmp_path):
    with LocalHosts(count=1, prefix="gone") as hosts:
        text = hosts.hosts_file.read_text()
        config = hosts.ssh_config.read_text()
    (tmp_path / "ssh_config").write_text(config)        # the server is stopped now
    path = tmp_path / "hosts.toml"
    path.write_text(text.replace(str(hosts.ssh_config), str(tmp_path / "ssh_config")))
    with pytest.raises(HostsError, match=r"host gone-1: SSH failed .*make `ssh gone-1 true` work"):
        host_check.check_hosts(load_hosts(path), say=lambda _: None)


def test_rig_run_refuses_workers_here_and_hosts_at_once(local_hosts):
    out = subprocess.run([sys.executable, "-m", "rig.cli", "run", "--hosts",
                          str(local_hosts.hosts_file), "-n", "2", "scenarios/storage-full.yaml"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2, out.stderr
    assert "give either -n" in out.stderr and "PASSED" not in out.stdout
