"""Load compiled contracts (ABI + bytecode) from the build cache."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from contracts.build import compile_contracts


@dataclass(frozen=True)
class Artifact:
    name: str
    source: str
    abi: list
    bytecode: str
    deployed_bytecode: str
    compiler: str


def load_artifacts(path: Path | None = None, mutant: str | None = None) -> dict[str, Artifact]:
    """Every contract with bytecode, by name; compiles first when the cache is stale.

    ``mutant`` loads the build with that seeded defect (``contracts/mutants.py``) instead."""
    if path is not None and mutant is not None:
        raise ValueError(f"load_artifacts: give a build output path or a mutant name, not both "
                         f"(path={path}, mutant={mutant!r})")
    output = json.loads((path or compile_contracts(mutant=mutant)).read_text())
    found: dict[str, Artifact] = {}
    for source, contracts in output["contracts"].items():
        for name, c in contracts.items():
            found[name if name not in found else f"{source}:{name}"] = Artifact(
                name=name,
                source=source,
                abi=c["abi"],
                bytecode="0x" + c["evm"]["bytecode"]["object"],
                deployed_bytecode="0x" + c["evm"]["deployedBytecode"]["object"],
                compiler=output["compiler"],
            )
    return found
