"""One process's part of a node that other processes use at the same time.

pytest-xdist workers attached to one ``--chain-url`` node (on one host or many) each deploy
their own platform, but the node's accounts and its chain-wide controls are common to all of
them. So each worker signs with its own block of the dev mnemonic's accounts (two workers
sending from one account race for its nonces), and the controls that change what every
worker sees are held back: a snapshot's revert would undo the others' transactions, a time
warp would cross their challenge deadlines, a reorg would remove their blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNTS_PER_SHARE = 16
"""Dev-mnemonic accounts each sharing process owns: the named roles and up to seven phones
(rig/platform/actors.py)."""

CHAIN_WIDE = frozenset({
    "snapshot", "time", "next_timestamp", "set_time", "automine", "interval_mining",
    "reorg", "rollback", "state_dump", "set_chain_id", "gas_limit", "base_fee",
})
"""Capabilities whose effect every user of the node sees (rig/chain/capabilities.py)."""


@dataclass(frozen=True)
class NodeShare:
    """Process ``index`` of ``of`` using one node: ``NodeShare()`` is a node of its own."""

    index: int = 0
    of: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < max(self.of, 1):
            raise ValueError(f"share {self.index} of {self.of}: the index must be below the "
                             "number of sharing processes")

    @property
    def shared(self) -> bool:
        return self.of > 1

    @property
    def first_account(self) -> int:
        """The first dev-mnemonic index this process's actors use."""
        return self.index * ACCOUNTS_PER_SHARE

    @property
    def accounts_needed(self) -> int:
        """Funded dev accounts the node must hold for every sharer."""
        return self.of * ACCOUNTS_PER_SHARE

    @classmethod
    def of_xdist_worker(cls, workerinput: dict | None) -> NodeShare:
        """The share of a pytest-xdist worker (``config.workerinput``); a node of its own
        outside xdist or with one worker."""
        if not workerinput:
            return cls()
        count = int(workerinput.get("workercount", 1))
        worker = str(workerinput.get("workerid", "gw0"))
        return cls(int(worker.removeprefix("gw")), count) if count > 1 else cls()

    def withheld(self, capabilities: frozenset[str]) -> frozenset[str]:
        """Those of ``capabilities`` this process must not use on the node."""
        return capabilities & CHAIN_WIDE if self.shared else frozenset()

    def describe(self) -> str:
        return f"{self.of} processes share the node" if self.shared else "a node of its own"
