"""Compile ``contracts/src`` with solcjs and cache the output by content hash.

The cache key covers every source, every imported OpenZeppelin file's package version,
the compiler version and the settings, so a stale artifact can never be loaded. A seeded
defect (``contracts/mutants.py``) is applied to the sources before hashing, so each mutant
build has its own cache entry and never replaces the correct one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from contracts.mutants import mutant as _mutant

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "contracts" / "src"
CACHE = ROOT / "build" / "contracts"
COMPILER = ROOT / "contracts" / "compile.mjs"

SETTINGS: dict = {
    "optimizer": {"enabled": True, "runs": 10_000},
    "evmVersion": "cancun",
    "outputSelection": {
        "*": {
            "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object",
                  "evm.methodIdentifiers"],
        }
    },
}


class CompileError(RuntimeError):
    """The Solidity compiler rejected a source; the message names file:line:column."""


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    column: int
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise CompileError("node is not on PATH: solcjs needs Node.js (run `make deps`)")
    return node


def compiler_version() -> str:
    out = subprocess.run([_node(), str(COMPILER), "--version"], capture_output=True,
                         text=True, cwd=ROOT, check=False)
    if out.returncode != 0:
        raise CompileError(f"solcjs is not installed: {out.stderr.strip()} (run `make deps`)")
    return out.stdout.strip()


def _oz_version() -> str:
    pkg = ROOT / "node_modules" / "@openzeppelin" / "contracts" / "package.json"
    return json.loads(pkg.read_text())["version"] if pkg.exists() else "missing"


def _source_name(path: Path, src_dir: Path) -> str:
    """A source's unit name: its path from the project root (so ``contracts/test`` sources can
    import ``../src/...``), or ``contracts/src/...`` for a directory outside the project."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return f"contracts/src/{path.relative_to(src_dir).as_posix()}"


def standard_input(src_dir: Path = SRC, mutant: str | None = None) -> dict:
    """The solc standard-JSON input for every ``.sol`` file under ``src_dir``, with the
    contract mutant ``mutant`` (a name in ``contracts.mutants.MUTANTS``) applied."""
    files = sorted(src_dir.rglob("*.sol"))
    sources = {_source_name(p, src_dir): {"content": p.read_text()} for p in files}
    if mutant is not None:
        m = _mutant(mutant)
        target = next((p for p in files if p.relative_to(src_dir).as_posix() == m.file), None)
        if target is None:
            raise CompileError(f"contract mutant {mutant!r} edits {m.file}, which is not under "
                               f"{src_dir}")
        entry = sources[_source_name(target, src_dir)]
        entry["content"] = m.apply(entry["content"])
    return {"language": "Solidity", "sources": sources, "settings": SETTINGS}


def _diagnostics(output: dict, sources: dict) -> list[Diagnostic]:
    found = []
    for err in output.get("errors", []):
        loc = err.get("sourceLocation") or {}
        file = loc.get("file", "<unknown>")
        line = column = 0
        text = _source_text(file, sources)
        if text is not None and loc.get("start", -1) >= 0:
            before = text.encode()[: loc["start"]].decode(errors="replace")
            line = before.count("\n") + 1
            column = len(before) - (before.rfind("\n") + 1) + 1
        found.append(Diagnostic(file, line, column, err.get("severity", "error"),
                                err.get("message", err.get("formattedMessage", ""))))
    return found


def _source_text(file: str, sources: dict) -> str | None:
    if file in sources:
        return sources[file]["content"]
    dep = ROOT / "node_modules" / file
    return dep.read_text() if dep.exists() else None


def compile_contracts(src_dir: Path = SRC, cache_dir: Path = CACHE,
                      mutant: str | None = None) -> Path:
    """Compile (or reuse the cached build of) ``src_dir``, with contract mutant ``mutant``
    applied when given; return the output JSON's path."""
    std_in = standard_input(src_dir, mutant)
    if not std_in["sources"]:
        raise CompileError(f"no .sol files under {src_dir}")
    version = compiler_version()
    key = hashlib.sha256(json.dumps([std_in, version, _oz_version()],
                                    sort_keys=True).encode()).hexdigest()[:16]
    target = cache_dir / (f"mutant-{mutant}-{key}.json" if mutant else f"{key}.json")
    if target.exists():
        return target
    proc = subprocess.run([_node(), str(COMPILER)], input=json.dumps(std_in),
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise CompileError(f"solcjs crashed: {proc.stderr.strip()[-2000:]}")
    output = json.loads(proc.stdout)
    diags = _diagnostics(output, std_in["sources"])
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise CompileError("compilation failed:\n" + "\n".join(map(str, errors)))
    output["compiler"] = version
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(output))
    tmp.replace(target)
    return target
