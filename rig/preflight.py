"""Check a run's configuration once, before any scenario runs.

A wrong ``--profile``, a scenario file that does not load or a ``--chain-url`` nobody answers
would otherwise fail every scenario separately, each retried, each with a traceback. Here
each is one ``ConfigError`` whose one-line message says what is wrong and how to fix it;
``rig run`` prints it and exits 2 with nothing run, and the pytest plugin turns it into a
usage error at session start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

SUFFIXES = (".yaml", ".yml")
CHAIN_TIMEOUT = 3.0


class ConfigError(ValueError):
    """The run's configuration is wrong: nothing was run. The message is one line."""


@dataclass(frozen=True)
class Checked:
    scenarios: list[Path]         # every scenario file the run will collect
    chain_id: int | None          # the attached node's chain id (None: the rig starts anvil)


def one_line(text: str) -> str:
    return " ".join(text.split())


def check_profile(name: str, where: str = "--profile") -> None:
    from rig.hardware.profile import ProfileError, load_profile

    try:
        load_profile(name)
    except (ProfileError, OSError) as e:
        raise ConfigError(one_line(f"{where} {name!r}: {e} (name one of profiles/*.toml, or "
                                   f"give a path to a profile TOML file)")) from e


def check_chain(url: str, timeout: float = CHAIN_TIMEOUT, sharers: int = 1) -> int:
    """The node's chain id; ConfigError when ``url`` does not answer JSON-RPC eth_chainId or
    cannot run the platform (no Cancun, no funded dev accounts: rig.chain.compat)."""
    fix = ("start the node (e.g. `anvil --port 8545`) or leave out --chain-url and the rig "
           "starts its own anvil")
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        resp = requests.post(url, json=body, timeout=timeout)
        doc = resp.json()
        chain_id = int(doc["result"], 16)
    except requests.RequestException as e:
        why = f"no answer ({type(e).__name__})"
    except (ValueError, KeyError, TypeError) as e:
        why = f"the answer is not a JSON-RPC eth_chainId result ({type(e).__name__})"
    else:
        _check_node(url, sharers)
        return chain_id
    raise ConfigError(one_line(f"--chain-url {url}: {why}; {fix}"))


def _check_node(url: str, sharers: int) -> None:
    """The platform can run there, for the last of ``sharers`` too (the highest accounts)."""
    from rig.chain.compat import check_node
    from rig.chain.errors import ChainError
    from rig.chain.node import Chain
    from rig.chain.share import NodeShare

    try:
        check_node(Chain(url))
        if sharers > 1:
            check_node(Chain(url, share=NodeShare(sharers - 1, sharers)))
    except ChainError as e:
        raise ConfigError(one_line(f"--chain-url {url}: {e}")) from e


def scenario_files(args: Sequence[str], base: Path | None = None) -> list[Path]:
    """The scenario files pytest will collect for ``args`` (rig.pytestplugin.scenarios: a
    named ``.yaml`` file wherever it is, in directories only those in a ``scenarios``
    directory)."""
    base = base or Path.cwd()
    out: list[Path] = []
    for arg in args or ["scenarios"]:
        path = base / arg.split("::", 1)[0]
        if path.is_file():
            if path.suffix in SUFFIXES:
                out.append(path)
        elif path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES
                          and p.parent.name == "scenarios" and p.is_file())
        else:
            raise ConfigError(f"{arg}: no such scenario file or directory")
    return out


def check_scenarios(paths: Iterable[Path]) -> list:
    """Every file loads (each ScenarioError names the file and the step)."""
    from rig.scenario import ScenarioError, load_scenario

    loaded = []
    for path in paths:
        try:
            loaded.append(load_scenario(path))
        except ScenarioError as e:
            raise ConfigError(one_line(f"{e} (fix the scenario file; docs/scenarios.md)")) \
                from e
    return loaded


def check_run(args: Sequence[str], profile: str | None, chain_url: str | None,
              base: Path | None = None, sharers: int = 1) -> Checked:
    """Everything ``rig run`` can know is wrong before it runs anything; ``sharers``
    workers on one ``chain_url`` need a block of funded accounts each (rig.chain.share)."""
    if profile:
        check_profile(profile)
    files = scenario_files(args, base)
    scenarios = check_scenarios(files)
    if not profile:
        for name in sorted({sc.settings.profile for sc in scenarios}):
            users = [sc.id for sc in scenarios if sc.settings.profile == name]
            check_profile(name, where=f"{', '.join(users[:3])}: settings.profile")
    chain_id = check_chain(chain_url, sharers=sharers) if chain_url else None
    return Checked(files, chain_id)
