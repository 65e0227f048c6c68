"""Hosts played on this machine: one OpenSSH server per host on 127.0.0.1, each its own
process on its own port, with keys made for the occasion.

CI proves the multi-host run with them, and a QA engineer can try ``rig run --hosts`` before
pointing it at real machines. They write an ssh config (the host aliases, the key, a
known-hosts file holding the servers' keys, so host keys are checked) and a hosts file.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rig.proc import kill_group, spawn_owned

SSHD = Path("/usr/sbin/sshd")
START_TIMEOUT = 20.0


class LocalHostsError(RuntimeError):
    """The local SSH servers could not be set up; the message says what to install or fix."""


@dataclass
class LocalHosts:
    """``count`` SSH servers on 127.0.0.1 named ``prefix-1`` ... (``workers`` each)."""

    count: int = 2
    workers: int = 1
    prefix: str = "rig-host"
    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rig-hosts-")))
    ports: dict[str, int] = field(default_factory=dict)   # host name → its port, once started
    _servers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [f"{self.prefix}-{i}" for i in range(1, self.count + 1)]

    @property
    def identity(self) -> Path:
        """The private key every host accepts."""
        return self.dir / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        """The servers' host keys, as ``[127.0.0.1]:PORT`` entries."""
        return self.dir / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        return self.dir / "ssh_config"

    @property
    def hosts_file(self) -> Path:
        return self.dir / "hosts.toml"

    def start(self) -> LocalHosts:
        for tool in (SSHD, Path(shutil.which("ssh-keygen") or "ssh-keygen")):
            if not tool.is_file():
                raise LocalHostsError(f"{tool} is missing: run `make deps` (it installs Debian's "
                                      "openssh-server and openssh-client)")
        try:    # sshd's privilege separation directory; only root can make it
            Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        except PermissionError as e:
            raise LocalHostsError("/run/sshd is missing and only root can create it: run "
                                  "`sudo mkdir -p /run/sshd` once, or run as root") from e
        user_key = self._keygen(self.identity.name)
        (self.dir / "authorized_keys").write_text(Path(f"{user_key}.pub").read_text())
        host_key = self._keygen("host_ed25519")
        ports = [_free_port() for _ in self.names]
        self.ports = dict(zip(self.names, ports, strict=True))
        known = self.known_hosts
        known.write_text("".join(f"[127.0.0.1]:{p} {Path(f'{host_key}.pub').read_text()}"
                                 for p in ports))
        aliases = []
        for name, port in zip(self.names, ports, strict=True):
            config = self.dir / f"sshd_{name}.conf"
            config.write_text(_sshd_config(port, host_key, self.dir / "authorized_keys",
                                           self.dir / f"sshd_{name}.pid"))
            self._servers.append(spawn_owned([str(SSHD), "-D", "-e", "-f", str(config)],
                                             log=self.dir / f"sshd_{name}.log"))
            aliases.append(f"Host {name}\n  HostName 127.0.0.1\n  Port {port}\n"
                           f"  User {getpass.getuser()}\n  IdentityFile {user_key}\n"
                           f"  IdentitiesOnly yes\n  UserKnownHostsFile {known}\n"
                           "  StrictHostKeyChecking yes\n  LogLevel ERROR\n")
        self.ssh_config.write_text("\n".join(aliases))
        self.hosts_file.write_text(f'ssh_config = "{self.ssh_config}"\n' + "".join(
            f'\n[[host]]\nname = "{n}"\nworkers = {self.workers}\n' for n in self.names))
        for name, port in zip(self.names, ports, strict=True):
            self._wait(name, port)
        return self

    def stop(self) -> None:
        for server in self._servers:
            kill_group(server)
        self._servers.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LocalHosts:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _keygen(self, name: str) -> Path:
        key = self.dir / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                        str(key)], check=True, capture_output=True)
        return key

    def _wait(self, name: str, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        probe = ["ssh", "-F", str(self.ssh_config), "-o", "BatchMode=yes", name, "true"]
        last = ""
        while time.monotonic() < deadline:
            done = subprocess.run(probe, capture_output=True, text=True, check=False)
            if done.returncode == 0:
                return
            last = done.stderr.strip()
            time.sleep(0.2)
        log = (self.dir / f"sshd_{name}.log").read_text(errors="replace")[-500:]
        raise LocalHostsError(f"the SSH server for {name} on 127.0.0.1:{port} did not let us in "
                              f"within {START_TIMEOUT:.0f} s ({last}); its log: {log}")


def _sshd_config(port: int, host_key: Path, authorized: Path, pid: Path) -> str:
    """Keys only, this machine only. ``StrictModes no``: the keys live in a temporary
    directory, not a home directory sshd would check the modes of. Forwarding allowed (the
    ``ssh-pi`` part carries the rig's endpoints to the Pi with remote forwards), on the
    server's loopback only (``GatewayPorts no``)."""
    root_login = "prohibit-password" if os.geteuid() == 0 else "no"
    return (f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {pid}\n"
            f"AuthorizedKeysFile {authorized}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            f"PermitRootLogin {root_login}\nSubsystem sftp internal-sftp\n"
            "AllowTcpForwarding yes\nGatewayPorts no\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
