"""Can this node run the platform? Checked once per node, before anything is deployed.

The contracts are compiled for Cancun: they use transient storage (EIP-1153, TLOAD/TSTORE)
and MCOPY (EIP-5656). On an older hardfork they deploy, then revert with ``invalid opcode``
deep inside a call; here a tiny creation code that uses both is run with ``eth_call`` and a
node that refuses it is named with the fix. The rig's actors sign with the dev mnemonic's
first accounts, which must hold ether to pay for gas.
"""

from __future__ import annotations

import threading

from rig.chain.errors import NodeUnsuitable, RpcError
from rig.chain.node import Chain, dev_account

# PUSH1 1, PUSH1 0, TSTORE; PUSH1 0, TLOAD, PUSH1 0, MSTORE;
# PUSH1 32, PUSH1 0, PUSH1 32, MCOPY (memory[32:64] = memory[0:32]);
# PUSH1 32, PUSH1 32, RETURN  -> 32 bytes holding 1 on a Cancun node.
CANCUN_PROBE = "0x600160005d60005c6000526020600060205e60206020f3"
CANCUN_ANSWER = 1
ACCOUNTS_USED = 12             # the named roles and three employees (rig/platform/actors.py)
MIN_BALANCE_WEI = 10**18       # 1 ether each: deployments and a day of coffee
HARDFORK_FIX = ("start it on Cancun or later: `anvil --hardfork cancun`, Hardhat "
                "`networks.hardhat.hardfork = \"cancun\"` in its config, geth/reth --dev on a "
                "current release")
ACCOUNTS_FIX = ("start it with the dev mnemonic \"test test test test test test test test test "
                "test test junk\" and funded accounts (anvil and Hardhat do by default)")

_checked: set[tuple[str, str, int]] = set()
_lock = threading.Lock()


def check_node(chain: Chain) -> None:
    """NodeUnsuitable naming what the node lacks (Cancun, funded dev accounts) and how to
    start it; nothing when it can run the platform. Checked once per node."""
    key = (chain.url.rstrip("/"), chain.client_version, chain.share.first_account)
    with _lock:
        if key in _checked:
            return
        _check_cancun(chain)
        _check_accounts(chain)
        _checked.add(key)


def _where(chain: Chain) -> str:
    return f"node {chain.client_version!r} at {chain.url}"


def _check_cancun(chain: Chain) -> None:
    try:
        out = chain.rpc("eth_call", {"data": CANCUN_PROBE, "gas": hex(100_000)}, "latest")
    except RpcError as e:
        raise NodeUnsuitable(
            f"{_where(chain)} lacks Cancun (transient storage, EIP-1153; MCOPY, EIP-5656): "
            f"a TLOAD/TSTORE/MCOPY probe failed ({e.rpc_message}); {HARDFORK_FIX}") from e
    if int(out or "0x0", 16) != CANCUN_ANSWER:
        raise NodeUnsuitable(
            f"{_where(chain)} lacks Cancun (transient storage, EIP-1153): a TSTORE then TLOAD "
            f"read back {out!r}, not {CANCUN_ANSWER}; {HARDFORK_FIX}")


def _check_accounts(chain: Chain) -> None:
    first = chain.share.first_account
    poor = [(i, a.address) for i in range(first, first + ACCOUNTS_USED)
            if chain.balance((a := dev_account(i)).address) < MIN_BALANCE_WEI]
    if poor:
        listed = ", ".join(f"#{i} {addr}" for i, addr in poor[:4])
        more = f" and {len(poor) - 4} more" if len(poor) > 4 else ""
        sharing = (f" ({chain.share.describe()}: it needs {chain.share.accounts_needed} funded "
                   f"dev accounts, e.g. `anvil --accounts {chain.share.accounts_needed}`)"
                   if chain.share.shared else "")
        raise NodeUnsuitable(
            f"{_where(chain)}: the rig's dev accounts hold less than 1 ether ({listed}{more})"
            f"{sharing}; {ACCOUNTS_FIX}")
