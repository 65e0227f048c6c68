"""A JSON-RPC chain the rig talks to: the rig's own anvil or any node it attaches to.

Standard methods work everywhere. Anvil-only methods (snapshots, time travel, reorgs,
mempool surgery) go through ``anvil_rpc``, which raises ``AnvilOnlyError`` naming the
method on any other node.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxReceipt

from rig.chain.anvil import MNEMONIC
from rig.chain.errors import AnvilOnlyError, ChainUnreachable, RpcError

RECEIPT_POLL_SECONDS = 0.002  # web3's default 0.1 s costs ~100 ms per automined tx

Account.enable_unaudited_hdwallet_features()


def dev_account(index: int, mnemonic: str = MNEMONIC) -> LocalAccount:
    """The ``index``-th account of anvil's (and hardhat's) standard dev mnemonic."""
    return Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")


@dataclass(frozen=True)
class NodeSettings:
    gas_limit: int
    automine: bool
    chain_id: int


@dataclass
class Chain:
    """Handle on one JSON-RPC endpoint."""

    url: str
    timeout: float = 10.0
    w3: Web3 = field(init=False)
    client_version: str = field(init=False)
    _ids: Iterator[int] = field(init=False, default_factory=lambda: itertools.count(1))
    _session: requests.Session = field(init=False, default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": self.timeout},
                                         session=self._session))
        self.client_version = str(self.rpc("web3_clientVersion"))

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

    def anvil_rpc(self, method: str, *params: Any) -> Any:
        if not self.is_anvil:
            raise AnvilOnlyError(method, self.client_version)
        return self.rpc(method, *params)

    # --- standard -------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        return int(self.rpc("eth_chainId"), 16)

    @property
    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def timestamp(self, block: str | int = "latest") -> int:
        tag = hex(block) if isinstance(block, int) else block
        return int(self.rpc("eth_getBlockByNumber", tag, False)["timestamp"], 16)

    def balance(self, address: str) -> int:
        return int(self.rpc("eth_getBalance", address, "latest"), 16)

    def send_raw(self, raw: bytes) -> HexBytes:
        return HexBytes(self.rpc("eth_sendRawTransaction", HexBytes(raw).to_0x_hex()))

    def wait(self, tx_hash: bytes | str, timeout: float = 30.0) -> TxReceipt:
        return self.w3.eth.wait_for_transaction_receipt(
            HexBytes(tx_hash), timeout=timeout, poll_latency=RECEIPT_POLL_SECONDS)

    # --- anvil: snapshots -----------------------------------------------------------------
    def snapshot(self) -> str:
        return self.anvil_rpc("evm_snapshot")

    def revert(self, snapshot_id: str) -> str:
        """Revert to ``snapshot_id`` and return a fresh snapshot of the same state.

        Reverting consumes the snapshot (and every newer one), so callers keep the new id.
        """
        if not self.anvil_rpc("evm_revert", snapshot_id):
            raise RpcError("evm_revert", 0, f"unknown or consumed snapshot {snapshot_id}")
        return self.snapshot()

    @contextlib.contextmanager
    def isolated(self) -> Iterator[None]:
        """Everything inside the block is undone on exit, the node's settings included."""
        snap, settings = self.snapshot(), self.node_settings()
        try:
            yield
        finally:
            self.anvil_rpc("evm_revert", snap)
            self.restore_settings(settings)

    def node_settings(self) -> NodeSettings:
        """What a snapshot does not cover: one test's squeeze or held mining must not starve
        the next, so whoever reverts puts these back too (``restore_settings``)."""
        gas_limit = int(self.rpc("eth_getBlockByNumber", "latest", False)["gasLimit"], 16)
        return NodeSettings(gas_limit, self.automine(), self.chain_id)

    def restore_settings(self, settings: NodeSettings) -> None:
        """Put back ``settings``, and the base fee the latest block implies (a revert keeps
        anvil's override)."""
        self.set_next_base_fee(self._natural_next_base_fee())
        self.set_block_gas_limit(settings.gas_limit)
        self.set_automine(settings.automine)
        if self.chain_id != settings.chain_id:
            self.set_chain_id(settings.chain_id)

    def _natural_next_base_fee(self) -> int:
        """EIP-1559's next base fee from the latest block (a revert keeps anvil's override)."""
        b = self.rpc("eth_getBlockByNumber", "latest", False)
        base, used, limit = (int(b[k], 16) for k in ("baseFeePerGas", "gasUsed", "gasLimit"))
        target = max(limit // 2, 1)
        return max(base + base * (used - target) // target // 8, 1)

    # --- anvil: time and mining -----------------------------------------------------------
    def increase_time(self, seconds: int) -> int:
        return int(self.anvil_rpc("evm_increaseTime", int(seconds)))

    def set_next_block_timestamp(self, ts: int) -> None:
        self.anvil_rpc("evm_setNextBlockTimestamp", int(ts))

    def set_time(self, ts: int) -> None:
        self.anvil_rpc("anvil_setTime", int(ts))

    def mine(self, blocks: int = 1, interval: int | None = None) -> None:
        # anvil_mine, not evm_mine: anvil reads evm_mine's argument as a timestamp.
        params: list[Any] = [hex(blocks)] + ([hex(interval)] if interval is not None else [])
        self.anvil_rpc("anvil_mine", *params)

    def set_automine(self, on: bool) -> None:
        self.anvil_rpc("evm_setAutomine", on)

    def automine(self) -> bool:
        return bool(self.anvil_rpc("anvil_getAutomine"))

    def set_interval_mining(self, seconds: int) -> None:
        """Mine every ``seconds``; 0 stops interval mining."""
        self.anvil_rpc("anvil_setIntervalMining", int(seconds))

    # --- anvil: reorgs and the mempool ----------------------------------------------------
    def reorg(self, depth: int, txs: list[tuple[bytes | str, int]] = ()) -> None:  # type: ignore[assignment]
        """Replace the last ``depth`` blocks; ``txs`` are (raw tx or hash, block offset)."""
        pairs = [[HexBytes(t).to_0x_hex(), off] for t, off in txs]
        self.anvil_rpc("anvil_reorg", depth, pairs)

    def rollback(self, depth: int = 1) -> None:
        self.anvil_rpc("anvil_rollback", depth)

    def drop_transaction(self, tx_hash: bytes | str) -> None:
        self.anvil_rpc("anvil_dropTransaction", HexBytes(tx_hash).to_0x_hex())

    def drop_all_transactions(self) -> None:
        self.anvil_rpc("anvil_dropAllTransactions")

    def txpool_content(self) -> dict:
        return self.anvil_rpc("txpool_content")

    def pending_hashes(self) -> set[str]:
        pool = self.txpool_content()
        return {tx["hash"] for by_nonce in pool.get("pending", {}).values()
                for tx in by_nonce.values()}

    # --- anvil: state and accounts --------------------------------------------------------
    def dump_state(self) -> str:
        return self.anvil_rpc("anvil_dumpState")

    def load_state(self, state: str) -> None:
        self.anvil_rpc("anvil_loadState", state)

    def set_balance(self, address: str, wei: int) -> None:
        self.anvil_rpc("anvil_setBalance", address, hex(wei))

    def impersonate(self, address: str) -> None:
        self.anvil_rpc("anvil_impersonateAccount", address)

    def stop_impersonating(self, address: str) -> None:
        self.anvil_rpc("anvil_stopImpersonatingAccount", address)

    def set_chain_id(self, chain_id: int) -> None:
        self.anvil_rpc("anvil_setChainId", chain_id)

    def set_block_gas_limit(self, gas: int) -> None:
        self.anvil_rpc("anvil_setBlockGasLimit", hex(gas))

    def set_next_base_fee(self, wei: int) -> None:
        self.anvil_rpc("anvil_setNextBlockBaseFeePerGas", hex(wei))

    def node_info(self) -> dict:
        return self.anvil_rpc("anvil_nodeInfo")
