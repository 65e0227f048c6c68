"""A JSON-RPC chain the rig talks to: the rig's own anvil or any node it attaches to.

Standard methods work everywhere. Dev methods (snapshots, time, mining, reorgs, mempool
surgery) go by capability: when the Chain attaches it probes once which ones the node serves
(``rig.chain.capabilities``) and uses the standard ``evm_*`` method wherever there is one. A
call the node cannot serve raises ``MissingCapability`` naming the capability and the node,
``AnvilOnlyError`` (a kind of it) when only Anvil has such a method.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TimeExhausted
from web3.types import TxReceipt

from rig.chain import capabilities as caps
from rig.chain.anvil import MNEMONIC
from rig.chain.errors import (
    AnvilOnlyError,
    ChainUnreachable,
    MissingCapability,
    NodeInconsistent,
    RpcError,
)
from rig.chain.share import NodeShare

# Receipts: the first polls come fast (an automining node has it at once; web3's fixed 0.1 s
# costs ~100 ms per transaction), then back off toward the node's block time.
RECEIPT_POLL_FIRST = 0.002
RECEIPT_POLL_GROWTH = 1.5
RECEIPT_POLL_MAX = 0.25
SHOWN_READ_ATTEMPTS = 5     # a read of what the node has shown, before it is inconsistent
SHOWN_READ_PAUSE = 0.05
SETTLE_TIMEOUT = 10.0       # for the transactions in the pool to be mined (settle_mining)

Account.enable_unaudited_hdwallet_features()

_probed: dict[tuple[str, str, bool], frozenset[str]] = {}
_probe_lock = threading.Lock()


def _node_session(url: str) -> requests.Session:
    """A session with the environment's proxy and TLS settings for ``url`` read once:
    requests otherwise walks ``os.environ`` on every request, a fifth of the rig's CPU in
    the random schedules."""
    session = requests.Session()
    env = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(env["proxies"])
    session.verify = env["verify"]
    session.trust_env = False
    return session


def dev_account(index: int, mnemonic: str = MNEMONIC) -> LocalAccount:
    """The ``index``-th account of anvil's (and hardhat's) standard dev mnemonic."""
    return Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")


@dataclass(frozen=True)
class NodeSettings:
    gas_limit: int
    automine: bool | None        # None: the node cannot say (no getAutomine)
    chain_id: int


@dataclass
class Chain:
    """Handle on one JSON-RPC endpoint, with the dev methods it serves (``capabilities``)."""

    url: str
    timeout: float = 10.0
    w3: Web3 = field(init=False)
    client_version: str = field(init=False)
    served: frozenset[str] = field(init=False)
    """The dev RPC methods the node answers (probed once per node and client version)."""
    share: NodeShare = field(default_factory=NodeShare)
    """Whether other processes use the node at the same time (``rig.chain.share``)."""
    capabilities: frozenset[str] = field(init=False)
    """What the rig can ask of it: names of ``rig.chain.capabilities.CAPABILITIES``."""
    withheld: frozenset[str] = field(init=False)
    """Capabilities this process must not use whether the node serves them or not: the
    chain-wide ones, when it shares the node (empty otherwise)."""
    _ids: Iterator[int] = field(init=False, default_factory=lambda: itertools.count(1))
    _session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        self._session = _node_session(self.url)
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": self.timeout},
                                         session=self._session))
        # web3's validation middleware asks the node's chain id before every eth_call and
        # gas estimate; the rig's transactions take the chain id from the node (Sender), so
        # it only doubled the round trips of every call.
        self.w3.middleware_onion.remove("validation")
        self.client_version = str(self.rpc("web3_clientVersion"))
        self.withheld = self.share.withheld(caps.NAMES)
        key = (self.url.rstrip("/"), self.client_version, self.share.shared)
        with _probe_lock:
            if key not in _probed:   # a shared node's snapshots are not even probed
                _probed[key] = caps.probe(self.rpc, skip=self.withheld)
            self.served = _probed[key]
        self.capabilities = caps.capabilities_of(self.served) - self.withheld

    # --- plumbing -------------------------------------------------------------------------
    def rpc(self, method: str, *params: Any) -> Any:
        """Raw JSON-RPC call; errors become ``RpcError``/``ChainUnreachable``."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                "params": list(params)}
        try:
            resp = self._session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as e:
            raise ChainUnreachable(f"{self.url} did not answer {method}: {e}") from e
        if resp.status_code != 200:
            raise ChainUnreachable(f"{self.url} answered {method} with HTTP {resp.status_code}")
        reply = resp.json()
        if "error" in reply:
            err = reply["error"]
            raise RpcError(method, err.get("code", 0), err.get("message", ""), err.get("data"))
        return reply["result"]

    @property
    def is_anvil(self) -> bool:
        return self.client_version.lower().startswith("anvil")

    def has(self, *capabilities: str) -> bool:
        return all(c in self.capabilities for c in capabilities)

    def missing(self, capabilities: frozenset[str] | set[str]) -> list[str]:
        """Those of ``capabilities`` the node lacks, sorted."""
        return sorted(c for c in capabilities if c not in self.capabilities)

    def require(self, capability: str) -> None:
        if capability in self.capabilities:
            return
        if capability in self.withheld:
            raise MissingCapability(capability, self.client_version, self.url,
                                    why=f"held back: {self.share.describe()} and it is "
                                        "chain-wide")
        known = caps.CAPABILITIES.get(capability)
        if known is not None and known.anvil_only:
            raise AnvilOnlyError(known.methods[0], self.client_version, self.url)
        raise MissingCapability(capability, self.client_version, self.url)

    def dev_rpc(self, capability: str, *params: Any) -> Any:
        """Call the first method the node serves for ``capability``."""
        self.require(capability)
        method = next(m for m in caps.CAPABILITIES[capability].methods if m in self.served)
        return self.rpc(method.split("#", 1)[0], *params)

    def anvil_rpc(self, method: str, *params: Any) -> Any:
        """An Anvil-only method, for what the chain layer does not wrap."""
        if not self.is_anvil and method not in self.served:
            raise AnvilOnlyError(method, self.client_version, self.url)
        return self.rpc(method, *params)

    # --- standard -------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        return int(self.rpc("eth_chainId"), 16)

    @property
    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def timestamp(self, block: str | int = "latest") -> int:
        return int(self.block(block)["timestamp"], 16)

    def block(self, block: str | int = "latest", full: bool = False) -> dict:
        """A block the node has shown (at or below its head), as raw JSON."""
        tag = hex(block) if isinstance(block, int) else block
        return self._shown("eth_getBlockByNumber", f"block {tag}", tag, full)

    def receipt(self, tx_hash: bytes | str) -> dict:
        """The raw receipt of a transaction found in one of the node's blocks."""
        h = HexBytes(tx_hash).to_0x_hex()
        return self._shown("eth_getTransactionReceipt", f"transaction {h}", h)

    def _shown(self, method: str, what: str, *params: Any) -> dict:
        """``method`` for something the node already showed: a ``null`` is retried briefly,
        then raised as ``NodeInconsistent`` instead of surfacing later as a TypeError."""
        for attempt in range(SHOWN_READ_ATTEMPTS):
            result = self.rpc(method, *params)
            if result is not None:
                return result
            if attempt + 1 < SHOWN_READ_ATTEMPTS:
                time.sleep(SHOWN_READ_PAUSE)
        raise NodeInconsistent(method, what, self.client_version, self.url,
                               SHOWN_READ_ATTEMPTS)

    def balance(self, address: str) -> int:
        return int(self.rpc("eth_getBalance", address, "latest"), 16)

    def send_raw(self, raw: bytes) -> HexBytes:
        """The transaction's hash. A node that mines at once and reports a failed
        transaction as an error (Hardhat's default) still mined it: its hash is returned,
        and the receipt tells the failure, as on any other node."""
        try:
            return HexBytes(self.rpc("eth_sendRawTransaction", HexBytes(raw).to_0x_hex()))
        except RpcError as e:
            if isinstance(e.data, dict) and e.data.get("txHash"):
                return HexBytes(e.data["txHash"])
            raise

    def wait(self, tx_hash: bytes | str, timeout: float = 30.0) -> TxReceipt:
        """The receipt, polled at 2 ms first and backing off toward ``RECEIPT_POLL_MAX``:
        an automining node answers on the first poll, an interval-mined one is not asked
        hundreds of times a block."""
        h = HexBytes(tx_hash)
        deadline = time.monotonic() + timeout
        pause = RECEIPT_POLL_FIRST
        while True:
            raw = self.rpc("eth_getTransactionReceipt", h.to_0x_hex())
            if raw is not None and raw.get("blockNumber") is not None:
                return self.w3.eth.get_transaction_receipt(h)
            if time.monotonic() + pause > deadline:
                raise TimeExhausted(f"transaction {h.to_0x_hex()} is not in a block after "
                                    f"{timeout} s (node {self.client_version!r} at {self.url})")
            time.sleep(pause)
            pause = min(pause * RECEIPT_POLL_GROWTH, RECEIPT_POLL_MAX)

    # --- snapshots ------------------------------------------------------------------------
    def snapshot(self) -> str:
        self.require("snapshot")
        return self.rpc("evm_snapshot")

    def revert(self, snapshot_id: str) -> str:
        """Revert to ``snapshot_id`` and return a fresh snapshot of the same state.

        Reverting consumes the snapshot (and every newer one), so callers keep the new id.
        """
        self.require("snapshot")
        if not self._revert(snapshot_id):
            raise RpcError("evm_revert", 0, f"unknown or consumed snapshot {snapshot_id}")
        return self.snapshot()

    @contextlib.contextmanager
    def isolated(self) -> Iterator[None]:
        """Everything inside the block is undone on exit, the node's settings included."""
        snap, settings = self.snapshot(), self.node_settings()
        try:
            yield
        finally:
            self._revert(snap)
            self.restore_settings(settings)

    def _revert(self, snapshot_id: str) -> bool:
        """``evm_revert`` once no block is being mined and the pool is empty: what was sent
        before the revert belongs to the state it undoes, not to the next test's chain."""
        self.settle_mining()
        self._drop_pool()
        return bool(self.rpc("evm_revert", snapshot_id))

    def settle_mining(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until the node is mining no block of the transactions sent to it.

        anvil (1.7.1) reverts a snapshot, rolls back and reorgs without waiting for the block
        its miner is building: a block that lands meanwhile is stored on top of the blocks
        the call removed, and those numbers stay empty for good (every later read of them is
        null). With automine on, a block is in flight while the node's pending block holds a
        transaction, and also after the miner has executed it but not yet stored its block
        (the pool still holds it, below its sender's nonce). One the next block cannot
        include (a price below the base fee, a nonce gap) is not waited for; with automine
        off nothing is mined until someone asks."""
        if not self.has("automine_status") or not self.automine():
            return
        deadline = time.monotonic() + timeout
        pause = RECEIPT_POLL_FIRST
        while self._block_in_flight():
            if time.monotonic() > deadline:
                raise TimeExhausted(f"the node {self.client_version!r} at {self.url} still "
                                    f"had transactions to mine after {timeout} s")
            time.sleep(pause)
            pause = min(pause * RECEIPT_POLL_GROWTH, RECEIPT_POLL_MAX)

    def _block_in_flight(self) -> bool:
        """anvil executes a block's transactions, releases its state (the senders' nonces
        move on, the pending block no longer shows them) and only then stores the block; its
        pool drops them after that. So a ready transaction below its sender's nonce is one
        whose block is still being stored."""
        if not self.has("txpool"):
            return bool((self.rpc("eth_getBlockByNumber", "pending", False) or {})
                        .get("transactions"))
        ready = [tx for by_nonce in self.txpool_content().get("pending", {}).values()
                 for tx in by_nonce.values()]
        if not ready:
            return False
        if (self.rpc("eth_getBlockByNumber", "pending", False) or {}).get("transactions"):
            return True
        nonces: dict[str, int] = {}
        for tx in ready:
            sender = tx["from"]
            if sender not in nonces:
                nonces[sender] = int(self.rpc("eth_getTransactionCount", sender, "latest"), 16)
            if int(tx["nonce"], 16) < nonces[sender]:
                return True
        return False

    def _drop_pool(self) -> None:
        """Drop what is left in anvil's pool (held by automine off, a nonce gap, a price): its
        ``anvil_dropTransaction`` drops only ready transactions, and one queued behind a nonce
        gap would be mined once another test's sender reached its nonce. Hardhat mines inside
        the call that sends and shows no pool; other nodes keep theirs."""
        if self.is_anvil:
            self.anvil_rpc("anvil_dropAllTransactions")

    def node_settings(self) -> NodeSettings:
        """What a snapshot does not cover: one test's squeeze or held mining must not starve
        the next, so whoever reverts puts these back too (``restore_settings``)."""
        gas_limit = int(self.block()["gasLimit"], 16)
        automine = self.automine() if self.has("automine_status") else None
        return NodeSettings(gas_limit, automine, self.chain_id)

    def restore_settings(self, settings: NodeSettings) -> None:
        """Put back ``settings``, and the base fee the latest block implies (a revert keeps
        anvil's override). What the node cannot set, no test can have changed."""
        if self.has("base_fee"):
            self.set_next_base_fee(self._natural_next_base_fee())
        if self.has("gas_limit"):
            self.set_block_gas_limit(settings.gas_limit)
        if settings.automine is not None and self.has("automine"):
            self.set_automine(settings.automine)
        if self.has("set_chain_id") and self.chain_id != settings.chain_id:
            self.set_chain_id(settings.chain_id)

    def _natural_next_base_fee(self) -> int:
        """EIP-1559's next base fee from the latest block (a revert keeps anvil's override)."""
        b = self.rpc("eth_getBlockByNumber", "latest", False)
        base, used, limit = (int(b[k], 16) for k in ("baseFeePerGas", "gasUsed", "gasLimit"))
        target = max(limit // 2, 1)
        return max(base + base * (used - target) // target // 8, 1)

    # --- time and mining ------------------------------------------------------------------
    def increase_time(self, seconds: int) -> int:
        return int(self.dev_rpc("time", int(seconds)))

    def set_next_block_timestamp(self, ts: int) -> None:
        self.dev_rpc("next_timestamp", int(ts))

    def set_time(self, ts: int) -> None:
        self.dev_rpc("set_time", int(ts))

    def mine(self, blocks: int = 1, interval: int | None = None) -> None:
        """Mine ``blocks`` blocks now (``interval`` seconds apart): ``anvil_mine`` or
        ``hardhat_mine`` in one call, else one ``evm_mine`` per block."""
        self.require("mine")
        params: list[Any] = [hex(blocks)] + ([hex(interval)] if interval is not None else [])
        for method in ("anvil_mine", "hardhat_mine"):
            if method in self.served:
                self.rpc(method, *params)
                return
        # evm_mine without an argument: anvil reads evm_mine's argument as a timestamp.
        for _ in range(blocks):
            if interval is not None:
                self.set_next_block_timestamp(self.timestamp() + interval)
            self.rpc("evm_mine")

    def wait_blocks(self, blocks: int = 1, timeout: float = 120.0) -> None:
        """Wait for ``blocks`` new blocks the node mines by itself (interval mining)."""
        target = self.block_number + blocks
        deadline = time.monotonic() + timeout
        pause = RECEIPT_POLL_FIRST
        while self.block_number < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the node {self.client_version!r} at {self.url} mined no "
                                    f"block {target} within {timeout} s and cannot mine on "
                                    "demand")
            time.sleep(pause)
            pause = min(pause * RECEIPT_POLL_GROWTH, RECEIPT_POLL_MAX)

    def set_automine(self, on: bool) -> None:
        self.dev_rpc("automine", on)

    def automine(self) -> bool:
        return bool(self.dev_rpc("automine_status"))

    def set_interval_mining(self, seconds: int) -> None:
        """Mine every ``seconds``; 0 stops interval mining."""
        self.dev_rpc("interval_mining", int(seconds))

    # --- reorgs and the mempool -----------------------------------------------------------
    def reorg(self, depth: int, txs: list[tuple[bytes | str, int]] = ()) -> None:  # type: ignore[assignment]
        """Replace the last ``depth`` blocks; ``txs`` are (raw tx or hash, block offset)."""
        pairs = [[HexBytes(t).to_0x_hex(), off] for t, off in txs]
        self.settle_mining()
        self.dev_rpc("reorg", depth, pairs)

    def rollback(self, depth: int = 1) -> None:
        self.settle_mining()
        self.dev_rpc("rollback", depth)

    def drop_transaction(self, tx_hash: bytes | str) -> None:
        self.dev_rpc("drop_tx", HexBytes(tx_hash).to_0x_hex())

    def txpool_content(self) -> dict:
        return self.dev_rpc("txpool")

    def pending_hashes(self) -> set[str]:
        """Hashes in the pending pool: ``txpool_content`` where served, else the node's
        pending block."""
        if not self.has("txpool"):
            block = self.rpc("eth_getBlockByNumber", "pending", False) or {}
            return {HexBytes(h).to_0x_hex() for h in block.get("transactions", [])}
        pool = self.txpool_content()
        return {tx["hash"] for by_nonce in pool.get("pending", {}).values()
                for tx in by_nonce.values()}

    def trace_output(self, tx_hash: bytes | str) -> str | None:
        """A mined transaction's return (revert) data, from the node's trace: the call
        tracer where served, else the default tracer's ``returnValue``."""
        h = HexBytes(tx_hash).to_0x_hex()
        self.require("trace")
        if self.has("call_tracer"):
            return self.rpc("debug_traceTransaction", h, {"tracer": "callTracer"}).get("output")
        value = self.rpc("debug_traceTransaction", h).get("returnValue")
        if value is None:
            return None
        return value if value.startswith("0x") else "0x" + value

    # --- state and accounts ---------------------------------------------------------------
    def dump_state(self) -> str:
        return self.dev_rpc("state_dump")

    def load_state(self, state: str) -> None:
        self.anvil_rpc("anvil_loadState", state)

    def set_balance(self, address: str, wei: int) -> None:
        self.dev_rpc("set_balance", address, hex(wei))

    def set_nonce(self, address: str, nonce: int) -> None:
        self.dev_rpc("set_nonce", address, hex(nonce))

    def set_code(self, address: str, code: str) -> None:
        self.dev_rpc("set_code", address, code)

    def impersonate(self, address: str) -> None:
        self.dev_rpc("impersonate", address)

    def stop_impersonating(self, address: str) -> None:
        self.require("impersonate")
        method = ("anvil_stopImpersonatingAccount" if "anvil_impersonateAccount" in self.served
                  else "hardhat_stopImpersonatingAccount")
        self.rpc(method, address)

    def set_chain_id(self, chain_id: int) -> None:
        self.dev_rpc("set_chain_id", chain_id)

    def set_block_gas_limit(self, gas: int) -> None:
        self.dev_rpc("gas_limit", hex(gas))

    def set_next_base_fee(self, wei: int) -> None:
        self.dev_rpc("base_fee", hex(wei))

    def block_gas_limit(self) -> int:
        """The gas limit new blocks get: the node's setting where it tells, else the latest
        block's."""
        if self.has("node_info"):
            return int(self.node_info()["environment"]["gasLimit"], 16)
        return int(self.block()["gasLimit"], 16)

    def next_base_fee(self) -> int:
        """The base fee the next block will charge: the node's where it tells, else the
        pending block's."""
        if self.has("node_info"):
            return int(self.node_info()["environment"]["baseFee"], 16)
        return int(self.block("pending")["baseFeePerGas"], 16)

    def node_info(self) -> dict:
        return self.dev_rpc("node_info")
