"""Sign locally, send raw, wait with millisecond polling, and decode reverts by name.

web3 does not decode custom Solidity errors; ``Reverted`` carries the error's name and
arguments, looked up from every compiled artifact's ABI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.types import TxParams, TxReceipt

from rig.chain.errors import ChainError
from rig.chain.node import Chain


class Reverted(ChainError):
    """A call or transaction reverted; ``error`` is the custom error's name when known."""

    def __init__(self, error: str, args: tuple, data: bytes, receipt: TxReceipt | None = None):
        where = f" in tx {receipt['transactionHash'].to_0x_hex()}" if receipt else ""
        super().__init__(f"reverted with {error}{args if args else '()'}{where}")
        self.error, self.args_, self.data, self.receipt = error, args, data, receipt


@dataclass(frozen=True)
class ErrorSig:
    name: str
    types: tuple[str, ...]


def _abi_type(param: dict) -> str:
    if param["type"].startswith("tuple"):
        return f"({','.join(_abi_type(c) for c in param['components'])}){param['type'][5:]}"
    return param["type"]


def error_table(abis: Iterable[list]) -> dict[bytes, ErrorSig]:
    table = {keccak(text="Error(string)")[:4]: ErrorSig("Error", ("string",)),
             keccak(text="Panic(uint256)")[:4]: ErrorSig("Panic", ("uint256",))}
    for abi in abis:
        for item in abi:
            if item["type"] == "error":
                types = tuple(_abi_type(i) for i in item["inputs"])
                table[keccak(text=f"{item['name']}({','.join(types)})")[:4]] = ErrorSig(
                    item["name"], types)
    return table


@dataclass
class Sender:
    """Sends transactions for local accounts on one chain."""

    chain: Chain
    errors: dict[bytes, ErrorSig] = field(default_factory=dict)
    gas_multiplier: float = 1.25
    # Another party's transaction may land between the estimate and ours and leave a slot
    # ours writes at zero (a machine's redeem empties the provider before a top-up refills
    # it): setting it then costs 20,000 gas where the estimate saw 2,900, beyond the margin.
    gas_headroom: int = 20_000

    def decode(self, data: bytes | str | None) -> tuple[str, tuple]:
        raw = HexBytes(data or b"")
        sig = self.errors.get(bytes(raw[:4]))
        if sig is None:
            return (f"unknown error 0x{raw[:4].hex()}" if raw else "revert without data"), ()
        try:
            return sig.name, tuple(abi_decode(list(sig.types), bytes(raw[4:])))
        except Exception:  # malformed revert data: name it, keep the bytes
            return sig.name, ()

    def _reverted(self, exc: Exception) -> Reverted:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if not isinstance(data, (str, bytes)) or not HexBytes(data or b""):
            msg = str(exc)
            return Reverted(msg, (), b"")
        name, args = self.decode(data)
        return Reverted(name, args, bytes(HexBytes(data)))

    def call(self, fn: ContractFunction, sender: str | None = None) -> Any:
        try:
            return fn.call({"from": sender} if sender else None)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as e:
            raise self._reverted(e) from e

    def build(self, account: LocalAccount, fn: ContractFunction | None = None, *,
              to: str | None = None, data: bytes = b"", value: int = 0,
              gas: int | None = None, nonce: int | None = None,
              max_fee: int | None = None, priority_fee: int | None = None) -> dict:
        """A signed-ready EIP-1559 transaction. Estimation reverts raise ``Reverted``."""
        w3 = self.chain.w3
        if nonce is None:
            nonce = w3.eth.get_transaction_count(account.address, "pending")
        base = w3.eth.get_block("pending")["baseFeePerGas"]  # the block it will land in
        tip = priority_fee if priority_fee is not None else 10**9
        tx: dict[str, Any] = {
            "from": account.address, "nonce": nonce, "value": value,
            "chainId": self.chain.chain_id,
            "maxPriorityFeePerGas": tip,
            "maxFeePerGas": max_fee if max_fee is not None else 2 * base + tip,
        }
        # Plain dicts here (callers pop and add keys); web3 types them as TxParams.
        if fn is not None:
            tx = cast(dict[str, Any], fn.build_transaction(cast(TxParams, {**tx, "gas": gas or 1})))
            tx.pop("gas")
        else:
            tx.update({"to": to, "data": HexBytes(data)})
        if gas is None:
            try:
                gas = int(w3.eth.estimate_gas(cast(TxParams, tx)) * self.gas_multiplier) \
                    + self.gas_headroom
            except (ContractCustomError, ContractLogicError, ContractPanicError) as e:
                raise self._reverted(e) from e
        tx["gas"] = gas
        return tx

    def sign(self, account: LocalAccount, tx: dict) -> bytes:
        return bytes(account.sign_transaction(tx).raw_transaction)

    def transact(self, account: LocalAccount, fn: ContractFunction | None = None, *,
                 wait: bool = True, check: bool = True, **kw: Any) -> TxReceipt | HexBytes:
        """Send and (by default) wait; a mined failure raises ``Reverted`` when ``check``."""
        raw = self.sign(account, self.build(account, fn, **kw))
        tx_hash = self.chain.send_raw(raw)
        if not wait:
            return tx_hash
        receipt = self.chain.wait(tx_hash)
        if check and receipt["status"] != 1:
            raise self.explain_failure(account, fn, receipt)
        return receipt

    def explain_failure(self, account: LocalAccount, fn: ContractFunction | None,
                        receipt: TxReceipt) -> Reverted:
        """Replay a mined, failed transaction as a call at its block to learn why."""
        if fn is not None:
            try:
                fn.call({"from": account.address}, block_identifier=receipt["blockNumber"] - 1)
            except (ContractCustomError, ContractLogicError, ContractPanicError) as e:
                r = self._reverted(e)
                return Reverted(r.error, r.args_, r.data, receipt)
        return Reverted("out of gas or unknown", (), b"", receipt)

    def deploy(self, account: LocalAccount, abi: list, bytecode: str, *args: Any) -> Contract:
        factory = self.chain.w3.eth.contract(abi=abi, bytecode=bytecode)
        tx = self.build(account, None, to=None, data=HexBytes(
            factory.constructor(*args).data_in_transaction))
        tx.pop("to")
        receipt = self.chain.wait(self.chain.send_raw(self.sign(account, tx)))
        if receipt["status"] != 1:
            raise ChainError(f"deployment failed in tx {receipt['transactionHash'].to_0x_hex()}")
        address = receipt["contractAddress"]
        assert address is not None   # a successful deployment's receipt names the contract
        return self.chain.w3.eth.contract(address=address, abi=abi)


def events(contract: Contract, name: str, receipt: TxReceipt) -> list[dict]:
    """The ``name`` events ``contract`` emitted in ``receipt`` (other contracts' logs ignored)."""
    from web3.logs import DISCARD

    return [dict(e["args"]) for e in
            getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)]


def events_in_range(contract: Contract, name: str, from_block: int = 0,
                    to_block: int | str = "latest", **filters: Any) -> list[dict]:
    """All ``name`` events of ``contract`` (in chain order), filtered on indexed arguments."""
    logs = getattr(contract.events, name)().get_logs(from_block=from_block, to_block=to_block,
                                                     argument_filters=filters or None)
    return [{**e["args"], "blockNumber": e["blockNumber"],
             "transactionHash": e["transactionHash"].to_0x_hex()} for e in logs]
