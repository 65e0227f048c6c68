"""Hosts the rig spreads a pytest run over: pytest-xdist's remote workers, reached by SSH.

``hosts.toml`` names each host and its worker count (``config``); ``xdist`` turns them into
``--tx`` specifications; ``check`` reaches each host once before anything runs; ``local``
plays hosts with OpenSSH servers on 127.0.0.1 (CI, and trying it out). Scheduling is
pytest-xdist's: the rig adds no scheduler of its own.
"""

from rig.hosts.config import Host, Hosts, HostsError, load_hosts

__all__ = ["Host", "Hosts", "HostsError", "load_hosts"]
