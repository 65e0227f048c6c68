"""pytest-xdist ``--tx`` specifications for hosts: ``N*ssh=NAME//python=...//chdir=...``.

The worker's Python is the host's copy of this checkout's virtual environment; its working
directory is a scratch directory, since for an SSH worker xdist copies pytest itself into
the working directory (the checkout stays clean). ``RIG_HOST`` tells each worker which host
it is, for its run records; the controller's ``COFFEEPAY_*`` settings go along.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from rig.hosts.config import Hosts

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
# + the host's name (execnet makes one directory level only) and the checkout's, so that two
# checkouts (or two hosts played on one machine) never copy pytest into one directory at once.
SCRATCH = f"/tmp/coffeepay-rig-xdist-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}-"
HOST_ENV = "RIG_HOST"
ENV_PREFIX = "COFFEEPAY_"


def forwarded_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The project's settings in this environment (``COFFEEPAY_*``: the hypothesis profile,
    the shard count, a contract mutant). An SSH worker does not inherit the controller's
    environment, and the workers, not the controller, collect the tests."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in sorted(environ.items()) if k.startswith(ENV_PREFIX)}


def tx_specs(hosts: Hosts, environ: Mapping[str, str] | None = None) -> list[str]:
    config = f"//ssh_config={hosts.ssh_config}" if hosts.ssh_config else ""
    env = "".join(f"//env:{k}={v}" for k, v in forwarded_env(environ).items())
    return [f"{h.workers}*ssh={h.name}//python={PYTHON}//chdir={SCRATCH}{h.name}"
            f"//env:{HOST_ENV}={h.name}{env}{config}" for h in hosts.hosts]


def tx_args(hosts: Hosts, environ: Mapping[str, str] | None = None) -> list[str]:
    """pytest's arguments that spread the run over ``hosts``. A worker starts in its scratch
    directory, so the checkout's root and settings are named; every value is joined to its
    option with ``=`` (xdist reads a separate argument naming an existing path as a path to
    collect: rig/pytestplugin/hosts.py)."""
    return ([f"--tx={spec}" for spec in tx_specs(hosts, environ)]
            + ["--dist=load", f"--rootdir={ROOT}", f"--config-file={ROOT / 'pyproject.toml'}"])
