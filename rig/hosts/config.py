"""``hosts.toml``: which hosts run workers, how many each, and how SSH reaches them.

    ssh_config = "hosts.ssh_config"   # optional; relative to this file; default: ssh's own
    [[host]]
    name = "rig-a"                    # an ssh destination: a Host alias or user@hostname
    workers = 2                       # pytest-xdist workers on that host (default 1)

Every host holds this checkout at the same path as the machine that starts the run, at the
same commit, after ``make deps`` there (``rig.hosts.check`` verifies all three): the workers
get the controller's paths and import the rig from their own virtual environment.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rig.preflight import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_.@-]+$")


class HostsError(ConfigError):
    """A hosts file is wrong: the message names the file, the host and the fix."""


@dataclass(frozen=True)
class Host:
    name: str                     # ssh destination
    workers: int = 1


@dataclass(frozen=True)
class Hosts:
    hosts: tuple[Host, ...]
    ssh_config: Path | None = None
    source: Path | None = None

    @property
    def workers(self) -> int:
        return sum(h.workers for h in self.hosts)


def load_hosts(path: str | Path) -> Hosts:
    """The hosts file at ``path``; HostsError saying what is wrong where."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as e:
        raise HostsError(f"--hosts {path}: cannot read it ({e.strerror})") from e
    except tomllib.TOMLDecodeError as e:
        raise HostsError(f"--hosts {path}: not valid TOML ({e})") from e
    unknown = set(doc) - {"host", "ssh_config"}
    if unknown:
        raise HostsError(f"--hosts {path}: unknown key(s) {sorted(unknown)}; the keys are "
                         "ssh_config and [[host]]")
    entries = doc.get("host")
    if not isinstance(entries, list) or not entries:
        raise HostsError(f"--hosts {path}: no [[host]] table; name at least one host")
    hosts = tuple(_host(path, i, e) for i, e in enumerate(entries, 1))
    seen = [h.name for h in hosts]
    if len(set(seen)) != len(seen):
        raise HostsError(f"--hosts {path}: a host is named twice ({seen}); give it more "
                         "workers instead")
    ssh_config = doc.get("ssh_config")
    if ssh_config is not None:
        if not isinstance(ssh_config, str):
            raise HostsError(f"--hosts {path}: ssh_config must be a path string")
        ssh_config = (path.parent / Path(ssh_config).expanduser()).resolve()
        if not ssh_config.is_file():
            raise HostsError(f"--hosts {path}: ssh_config {ssh_config} does not exist")
    return Hosts(hosts, ssh_config, path.resolve())


def _host(path: Path, index: int, entry: object) -> Host:
    where = f"--hosts {path}: host #{index}"
    if not isinstance(entry, dict):
        raise HostsError(f"{where} is not a table")
    unknown = set(entry) - {"name", "workers"}
    if unknown:
        raise HostsError(f"{where}: unknown key(s) {sorted(unknown)}; the keys are name and "
                         "workers")
    name, workers = entry.get("name"), entry.get("workers", 1)
    if not isinstance(name, str) or not _NAME.match(name):
        raise HostsError(f"{where}: name {name!r} must be an ssh destination (a Host alias "
                         "or user@hostname, no spaces)")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise HostsError(f"{where} ({name}): workers must be a whole number of at least 1, "
                         f"not {workers!r}")
    return Host(name, workers)
