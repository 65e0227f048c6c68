"""Which dev methods a node serves, probed once when a ``Chain`` attaches.

The rig asks for what it needs by capability, not by client name: Hardhat, Anvil and most
dev nodes serve the standard ``evm_*`` methods (snapshots, time, mining), and a few calls
(reorgs, the chain id, state dumps) are Anvil's alone. Each capability lists the methods
that can serve it, in the order the chain layer prefers them.

Probing changes no state: every method is called with a parameter it must refuse
(``"x"``); a node that knows the method answers "invalid params", one that does not
answers "method not found" (-32601) or "not supported" (Hardhat's -32004). Snapshots are
probed by taking one and reverting to it at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rig.chain.errors import RpcError

_NOT_SERVED = re.compile(r"method.*(not supported|not found|does not exist|not available|"
                         r"not implemented|unsupported)|unknown method|unsupported tracer|"
                         r"only supports the default tracer", re.IGNORECASE)
_NOT_SERVED_CODES = (-32601, -32004)


@dataclass(frozen=True)
class Capability:
    """A thing the rig can ask a node to do and the RPC methods that do it (any one)."""

    name: str
    methods: tuple[str, ...]
    what: str
    anvil_only: bool = False      # no standard or Hardhat method serves it


CAPABILITIES: dict[str, Capability] = {c.name: c for c in (
    Capability("snapshot", ("evm_snapshot",), "evm_snapshot/evm_revert: undo a test's state"),
    Capability("mine", ("anvil_mine", "hardhat_mine", "evm_mine"), "mine a block on demand"),
    Capability("time", ("evm_increaseTime",), "move chain time forward (evm_increaseTime, "
                                              "evm_setNextBlockTimestamp)"),
    Capability("next_timestamp", ("evm_setNextBlockTimestamp",),
               "set the next block's timestamp"),
    Capability("set_time", ("anvil_setTime",), "set chain time absolutely", anvil_only=True),
    Capability("automine", ("evm_setAutomine",), "switch automine off and on"),
    Capability("interval_mining", ("anvil_setIntervalMining", "evm_setIntervalMining"),
               "mine every N seconds"),
    Capability("reorg", ("anvil_reorg",), "replace the last blocks", anvil_only=True),
    Capability("rollback", ("anvil_rollback",), "remove the last blocks", anvil_only=True),
    Capability("drop_tx", ("anvil_dropTransaction", "hardhat_dropTransaction"),
               "remove a pending transaction from the pool"),
    Capability("txpool", ("txpool_content",), "read the pending pool by sender"),
    Capability("state_dump", ("anvil_dumpState",), "dump and load the node's state",
               anvil_only=True),
    Capability("set_balance", ("anvil_setBalance", "hardhat_setBalance"), "set a balance"),
    Capability("set_nonce", ("anvil_setNonce", "hardhat_setNonce"), "set an account's nonce"),
    Capability("set_code", ("anvil_setCode", "hardhat_setCode"), "set an account's code"),
    Capability("impersonate", ("anvil_impersonateAccount", "hardhat_impersonateAccount"),
               "send as any address"),
    Capability("set_chain_id", ("anvil_setChainId",), "change the reported chain id",
               anvil_only=True),
    Capability("gas_limit", ("anvil_setBlockGasLimit", "evm_setBlockGasLimit"),
               "set the block gas limit"),
    Capability("base_fee", ("anvil_setNextBlockBaseFeePerGas",
                            "hardhat_setNextBlockBaseFeePerGas"),
               "set the next block's base fee"),
    Capability("node_info", ("anvil_nodeInfo",), "the node's configuration", anvil_only=True),
    Capability("call_tracer", ("debug_traceTransaction#callTracer",),
               "debug_traceTransaction with the callTracer"),
    Capability("trace", ("debug_traceTransaction#callTracer", "debug_traceTransaction"),
               "debug_traceTransaction: a mined failure's revert data"),
    Capability("automine_status", ("anvil_getAutomine", "hardhat_getAutomine"),
               "read whether automine is on"),
)}

NAMES = frozenset(CAPABILITIES)

# A parameter every probed method must refuse, so the probe changes nothing.
_REFUSED = ("x",)
_READ_ONLY = {"anvil_getAutomine": (), "hardhat_getAutomine": (), "txpool_content": (),
              "anvil_nodeInfo": (), "debug_traceTransaction": ("0x" + "00" * 32,),
              "debug_traceTransaction#callTracer": ("0x" + "00" * 32,
                                                    {"tracer": "callTracer"})}

Rpc = Callable[..., Any]


def not_served(err: RpcError) -> bool:
    """Whether an error says the node does not know the method (not: bad parameters)."""
    return err.code in _NOT_SERVED_CODES or bool(_NOT_SERVED.search(err.rpc_message))


def _serves(rpc: Rpc, method: str) -> bool:
    if method == "evm_snapshot":
        try:
            snap = rpc("evm_snapshot")
        except RpcError as e:
            return not not_served(e)
        try:
            return bool(rpc("evm_revert", snap))
        except RpcError:
            return False
    try:   # "method#variant": the method, asked with the variant's parameters
        rpc(method.split("#", 1)[0], *_READ_ONLY.get(method, _REFUSED))
    except RpcError as e:
        return not not_served(e)
    return True


def probe(rpc: Rpc, skip: frozenset[str] = frozenset()) -> frozenset[str]:
    """The RPC methods (of every capability's list but ``skip``'s) the node serves;
    ``method#variant`` for a method served only with some parameters (a tracer)."""
    methods = dict.fromkeys(m for c in CAPABILITIES.values() if c.name not in skip
                            for m in c.methods)
    served = set()
    for method in methods:
        if _serves(rpc, method):
            served.add(method)
    return frozenset(served)


def capabilities_of(served: frozenset[str]) -> frozenset[str]:
    return frozenset(c.name for c in CAPABILITIES.values()
                     if any(m in served for m in c.methods))


def describe(capability: str) -> str:
    c = CAPABILITIES.get(capability)
    return f"{capability} ({c.what})" if c else capability
