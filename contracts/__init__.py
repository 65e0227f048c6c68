"""Platform contracts: Solidity sources in ``src/``, built by solcjs, loaded as artifacts."""

from contracts.artifacts import Artifact, load_artifacts
from contracts.build import CompileError, compile_contracts

__all__ = ["Artifact", "CompileError", "compile_contracts", "load_artifacts"]
