"""Reach every host once before a run: SSH answers, the checkout is there at this path and
state, its virtual environment imports the rig. One line per host; HostsError naming the
first host that is not ready and what to do there."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from rig.hosts.config import Host, Hosts, HostsError
from rig.hosts.xdist import PYTHON, ROOT

SSH_TIMEOUT = 20.0
# The state a host's checkout must match: the commit and the uncommitted changes to it.
STATE = "git rev-parse HEAD && git diff HEAD | sha256sum"


@dataclass(frozen=True)
class HostState:
    host: Host
    state: str           # STATE's output there


def ssh_argv(hosts: Hosts, host: Host, command: str) -> list[str]:
    config = ["-F", str(hosts.ssh_config)] if hosts.ssh_config else []
    return ["ssh", *config, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", host.name,
            command]


def local_state() -> str:
    return _run(["bash", "-c", STATE], "this checkout")


def check_hosts(hosts: Hosts, say: Callable[[str], None] = print) -> list[HostState]:
    """Every host's state; HostsError at the first one that differs or does not answer."""
    mine = local_state()
    out = []
    for host in hosts.hosts:
        command = (f"cd {shlex.quote(str(ROOT))} && {STATE} && "
                   f"{shlex.quote(str(PYTHON))} -c 'import rig, xdist'")
        state = _run(ssh_argv(hosts, host, command), host.name, hosts)
        if state != mine:
            raise HostsError(
                f"host {host.name}: the checkout at {ROOT} is not at this one's commit and "
                f"changes (there: {_short(state)}; here: {_short(mine)}); check out the same "
                "commit there (and the same uncommitted changes, or commit them)")
        say(f"  {host.name:<20} OK  {host.workers} worker(s), {_short(state)}")
        out.append(HostState(host, state))
    return out


def _short(state: str) -> str:
    words = state.split()
    return f"commit {words[0][:12]}, diff {words[1][:8]}" if len(words) >= 2 else repr(state)


def _run(argv: list[str], who: str, hosts: Hosts | None = None) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=SSH_TIMEOUT,
                              check=False, cwd=ROOT)
    except subprocess.TimeoutExpired as e:
        raise HostsError(f"host {who}: no answer within {SSH_TIMEOUT:.0f} s over SSH; check "
                         f"that it is up and that `ssh {who} true` works") from e
    if done.returncode == 0:
        return done.stdout.strip()
    tail = " ".join(done.stderr.split())[-300:]
    if hosts is not None and done.returncode == 255:
        raise HostsError(f"host {who}: SSH failed ({tail}); make `ssh {who} true` work without "
                         "a password (a key in the agent or the ssh config)")
    raise HostsError(f"{who}: the checkout at {ROOT} is not ready ({tail}); clone this "
                     f"repository to {ROOT} there and run `make deps`")
