"""``environment.properties``: what the run was made of, for the report's Environment widget.

Versions of anvil and solc, the firmware commit (``git rev-parse HEAD``, and whether
``firmware/`` has uncommitted changes: then the commit alone does not say what ran), the
profile and the run seed. Each value is looked up independently; one that cannot be found
says why instead of failing the session.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT_FILE = "environment.properties"


def _run(argv: list[str], timeout: float = 30.0) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                         check=False)
    if out.returncode != 0:
        said = (out.stderr or out.stdout).strip().splitlines()
        raise OSError(f"{argv[0]} exited {out.returncode}: {said[-1] if said else 'no output'}")
    return out.stdout.strip()


def anvil_version(chain_url: str | None = None) -> str:
    if chain_url:
        return f"external node at {chain_url} ({_client_version(chain_url)})"
    from rig.chain.anvil import ANVIL_BIN

    if not ANVIL_BIN.exists():
        return f"not installed ({ANVIL_BIN.relative_to(ROOT)} missing: run make deps)"
    try:
        return _run([str(ANVIL_BIN), "--version"]).splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError) as e:
        return f"unknown ({e})"


def _client_version(url: str) -> str:
    import urllib.request

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "web3_clientVersion",
                       "params": []}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return str(json.loads(resp.read()).get("result", "no clientVersion"))
    except (OSError, ValueError) as e:
        return f"client version unknown: {e}"


def solc_version() -> str:
    try:
        from contracts.build import compiler_version

        return compiler_version()
    except Exception as e:  # a missing node/solcjs is reported, not raised
        return f"unknown ({type(e).__name__}: {e})"


def firmware_commit() -> str:
    try:
        return _run(["git", "rev-parse", "HEAD"])
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown (not a git checkout: {e})"


def firmware_changes() -> str:
    """Whether firmware/ differs from the commit (then the commit alone does not say what ran)."""
    try:
        dirty = _run(["git", "status", "--porcelain", "--", "firmware"])
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"
    return f"yes: {len(dirty.splitlines())} file(s) differ from the commit" if dirty else "none"


def environment(profiles: Iterable[str], run_seeds: Iterable[int], chain_url: str | None,
                defects: Iterable[str] = ()) -> dict[str, str]:
    profiles, seeds = sorted(set(profiles)), sorted(set(run_seeds))
    return {
        "anvil.version": anvil_version(chain_url),
        "solc.version": solc_version(),
        "firmware.commit": firmware_commit(),
        "firmware.uncommitted_changes": firmware_changes(),
        "profile": ", ".join(profiles) or "emulated (default)",
        "run.seed": ", ".join(map(str, seeds)) or "unknown",
        "chain": chain_url or "anvil started by the rig (one per worker)",
        "defects": ", ".join(sorted(set(defects))) or "none",
        "python": platform.python_version(),
    }


def _escape(text: str, key: bool = False) -> str:
    """java.util.Properties escaping (ISO-8859-1 file, so anything else as \\uXXXX)."""
    out = []
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch in "=:#!" or (ch == " " and (key or i == 0)):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) > 0x7E:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def properties(values: dict[str, str]) -> str:
    return "".join(f"{_escape(k, key=True)} = {_escape(v)}\n" for k, v in values.items())


def write_environment(results_dir: Path, values: dict[str, str]) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / ENVIRONMENT_FILE
    path.write_text(properties(values), encoding="ascii")
    return path
