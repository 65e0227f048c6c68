"""The demos' challenge period and how they get past its deadline, on any node.

Where the node moves time (Anvil, Hardhat) the period is the production 24 h and time is
moved past the deadline at once. A node with no dev methods (``rig.chain.plain``, geth, a
testnet) only has real time: there the period is a few of the node's block times and the
demo waits until the chain's latest block is past the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rig.chain.errors import NodeUnsuitable
from rig.chain.node import Chain

DAY = 24 * 3600
CHALLENGE_BLOCKS = 8
"""The machine demo's close window, in block times, on a node that cannot move time: the
machine sees the close request once it has ``confirmations`` (2) blocks on it, then its
redeem must be mined before the deadline, so the window needs about 3 blocks; 8 leaves room
for a loaded host and is still only 8 s on 1 s blocks."""
MAX_BLOCK_SPACING = 60
"""Seconds between blocks above which the demo would wait too long (8 min at 60 s)."""
POLL = 0.25


def moves_time(chain: Chain) -> bool:
    return chain.has("time", "mine")


def block_spacing(chain: Chain) -> int:
    """Seconds between the node's last two blocks (at least 1: timestamps are whole
    seconds and a fast chain puts several blocks in one)."""
    if chain.block_number < 1:
        chain.wait_blocks(1)
    head = chain.block_number
    spacing = max(1, chain.timestamp(head) - chain.timestamp(head - 1))
    if spacing > MAX_BLOCK_SPACING:
        raise NodeUnsuitable(
            f"the node {chain.client_version!r} at {chain.url} cannot move time and its last "
            f"two blocks are {spacing} s apart: waiting out a {CHALLENGE_BLOCKS}-block "
            f"challenge period would take {CHALLENGE_BLOCKS * spacing} s; use a node that "
            f"mines at most every {MAX_BLOCK_SPACING} s or one with evm_increaseTime")
    return spacing


def challenge_period(chain: Chain) -> int:
    """24 h where time can be moved past it; else ``CHALLENGE_BLOCKS`` block times."""
    return DAY if moves_time(chain) else CHALLENGE_BLOCKS * block_spacing(chain)


def pass_deadline(chain: Chain, deadline: int,
                  move_time: Callable[[int], None] | None = None) -> None:
    """Return once the chain's latest block is past ``deadline``: time moved by the
    seconds needed (``move_time``, by default ``evm_increaseTime`` and a block) where the
    node can, else waited for in real time as the node mines."""
    now = chain.timestamp()
    if now > deadline:
        return
    if moves_time(chain):
        if move_time is None:
            chain.increase_time(deadline - now + 1)
            chain.mine()
        else:
            move_time(deadline - now + 1)
        return
    limit = deadline - now + 10 * block_spacing(chain) + 30
    give_up = time.monotonic() + limit
    while (now := chain.timestamp()) <= deadline:
        if time.monotonic() > give_up:
            raise TimeoutError(f"the node {chain.client_version!r} at {chain.url} mined no "
                               f"block past {deadline} within {limit} s (latest at {now}); "
                               "it must mine by itself when it cannot move time")
        time.sleep(POLL)
