"""One anvil with the platform deployed, shared by every example of a property run.

Starting anvil and deploying the platform costs seconds; a fresh machine per example does
not need a fresh chain, only the same starting state. Each example therefore begins at one
snapshot taken right after deployment and ``reset()`` reverts to it. A ``chain.node_restart``
fault takes anvil's snapshots with it (they live in the node's memory), so the deployed state
is also kept as a state file and loaded into a restarted node when the revert cannot work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError, RpcError
from rig.chain.node import Chain, NodeSettings
from rig.platform import Platform, deploy_platform

CHALLENGE_PERIOD = 3600   # seconds; every example's scenario settings carry the same value


class WorldError(RuntimeError):
    """The shared chain is not usable (not started, or it could not be put back)."""


@dataclass
class SharedChain:
    """The chain every example runs on; ``reset()`` returns it to the deployed state."""

    challenge_period: int = CHALLENGE_PERIOD
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rig-prop-")))
    anvil: Anvil | None = None
    chain: Chain | None = None
    platform: Platform | None = None
    base_block: int = 0            # the deployed state's block number
    dirty: bool = False            # the node restarted: its snapshots are gone
    _snapshot: str | None = None
    _settings: NodeSettings | None = None  # automine, gas limit, chain id: not in a snapshot
    _state_file: Path | None = None

    def start(self) -> SharedChain:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.anvil = Anvil(log_path=self.workdir / "anvil.log").start()
        self.chain = Chain(self.anvil.url)
        self.platform = deploy_platform(self.chain, challenge_period=self.challenge_period)
        self.base_block = self.chain.block_number
        state = self.chain.rpc("anvil_dumpState", True)
        self._state_file = self.workdir / "deployed.state.json"
        self._state_file.write_bytes(gzip.decompress(bytes.fromhex(state.removeprefix("0x"))))
        self._snapshot = self.chain.snapshot()
        self._settings = self.chain.node_settings()
        return self

    @property
    def running(self) -> bool:
        return self.anvil is not None and self.anvil.running()

    def ready(self) -> tuple[Chain, Platform, Anvil]:
        if self.chain is None or self.platform is None or self.anvil is None:
            raise WorldError("the shared chain is not started: call SharedChain.start() first")
        return self.chain, self.platform, self.anvil

    def reset(self) -> None:
        """Back to the freshly deployed platform (revert, or reload after a node restart),
        with the node's settings as deployed: an example that failed before its faults were
        healed must not leave mining held or the gas limit squeezed for the next one."""
        chain, _, anvil = self.ready()
        assert self._settings is not None
        if not self.dirty and anvil.running():
            try:
                assert self._snapshot is not None
                self._snapshot = chain.revert(self._snapshot)
                chain.restore_settings(self._settings)
                return
            except (RpcError, ChainError):
                pass  # the node lost its snapshots: reload the deployed state below
        self._reload(anvil, chain)
        chain.restore_settings(self._settings)

    def _reload(self, anvil: Anvil, chain: Chain) -> None:
        assert self._state_file is not None
        plain = anvil.options
        anvil.options = dataclasses.replace(plain, extra=(*plain.extra, "--load-state",
                                                          str(self._state_file)))
        try:
            anvil.restart(keep_state=False)
        finally:
            anvil.options = plain
        if chain.block_number != self.base_block:
            raise WorldError(f"reloading {self._state_file} gave block {chain.block_number}, "
                             f"not the deployed state's {self.base_block}")
        self._snapshot = chain.snapshot()
        self.dirty = False

    def stop(self, keep: bool = False) -> None:
        if self.anvil is not None:
            self.anvil.stop()
        if not keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.workdir)
