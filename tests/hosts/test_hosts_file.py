"""hosts.toml: what a QA engineer writes is read, or refused naming the file, the host and
the fix; the hosts become pytest-xdist ``--tx`` specifications."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.hosts import Hosts, HostsError, load_hosts
from rig.hosts.xdist import PYTHON, ROOT, SCRATCH, tx_args, tx_specs


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hosts.toml"
    path.write_text(text)
    return path


def test_a_hosts_file_is_read(tmp_path):
    (tmp_path / "ssh_config").write_text("Host a\n")
    hosts = load_hosts(_write(tmp_path, 'ssh_config = "ssh_config"\n[[host]]\nname = "qa@a"\n'
                                        'workers = 3\n[[host]]\nname = "b"\n'))
    assert [(h.name, h.workers) for h in hosts.hosts] == [("qa@a", 3), ("b", 1)]
    assert hosts.workers == 4 and hosts.ssh_config == (tmp_path / "ssh_config").resolve()


@pytest.mark.parametrize(("text", "says"), [
    ("", "no [[host]] table"),
    ("[[host]]\nname = 'a'\nworkers = 0\n", "host #1 (a): workers must be a whole number"),
    ("[[host]]\nname = 'a'\nworkers = true\n", "workers must be a whole number"),
    ("[[host]]\nname = 'a b'\n", "host #1: name 'a b' must be an ssh destination"),
    ("[[host]]\nworkers = 2\n", "host #1: name None must be"),
    ("[[host]]\nname = 'a'\ncores = 2\n", "unknown key(s) ['cores']"),
    ("[[host]]\nname = 'a'\n[[host]]\nname = 'a'\n", "a host is named twice"),
    ("hosts = 1\n", "unknown key(s) ['hosts']"),
    ("ssh_config = 'missing'\n[[host]]\nname = 'a'\n", "ssh_config"),
    ("[[host]\n", "not valid TOML"),
])
def test_a_wrong_hosts_file_says_what_is_wrong(tmp_path, text, says):
    path = _write(tmp_path, text)
    with pytest.raises(HostsError) as info:
        load_hosts(path)
    assert says in str(info.value) and str(path) in str(info.value)


def test_a_missing_hosts_file_is_named(tmp_path):
    with pytest.raises(HostsError, match="cannot read it"):
        load_hosts(tmp_path / "nope.toml")


def test_each_host_becomes_a_tx_spec_running_this_checkouts_python():
    from rig.hosts.config import Host

    hosts = Hosts((Host("a", 2), Host("qa@b")), Path("/etc/rig/ssh_config"))
    assert tx_specs(hosts, environ={}) == [
        f"2*ssh=a//python={PYTHON}//chdir={SCRATCH}a//env:RIG_HOST=a"
        "//ssh_config=/etc/rig/ssh_config",
        f"1*ssh=qa@b//python={PYTHON}//chdir={SCRATCH}qa@b//env:RIG_HOST=qa@b"
        "//ssh_config=/etc/rig/ssh_config"]
    args = tx_args(hosts, environ={})
    assert SCRATCH.startswith("/tmp/coffeepay-rig-xdist-") and len(SCRATCH) == 34
    assert f"--rootdir={ROOT}" in args and "--dist=load" in args
    # no argument of its own may name an existing path: xdist would map it onto its copies
    assert not any(Path(a).exists() for a in args)


def test_the_projects_settings_go_to_the_remote_workers():
    """An SSH worker inherits nothing: the nightly's profile and shard count must travel."""
    from rig.hosts.config import Host

    env = {"COFFEEPAY_HYPOTHESIS_PROFILE": "nightly", "COFFEEPAY_HYPOTHESIS_SHARDS": "4",
           "HOME": "/root", "PATH": "/usr/bin"}
    (spec,) = tx_specs(Hosts((Host("a"),)), environ=env)
    assert "//env:COFFEEPAY_HYPOTHESIS_PROFILE=nightly" in spec
    assert "//env:COFFEEPAY_HYPOTHESIS_SHARDS=4" in spec
    assert "HOME" not in spec and "PATH" not in spec
