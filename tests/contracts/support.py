"""Shared helpers of the contract tests: revert assertions, events, mined failures, signature
surgery and deployments of the platform on test-only tokens."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coincurve
import pytest
import rlp
from eth_abi import decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from contracts import Artifact, compile_contracts, load_artifacts
from rig.chain.node import Chain
from rig.chain.tx import Reverted, Sender, error_table, events
from rig.platform import Actors, Platform
from rig.platform.channels import ChannelState
from rig.platform.deploy import CREDIT, deploy_platform

ROOT = Path(__file__).resolve().parents[2]
TEST_SOL = ROOT / "contracts" / "test"
TEST_BUILD = ROOT / "build" / "contracts-test"

# secp256k1 group order: s and n - s are both valid for the same message and key.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# Enough for every platform call; used where estimation must not decide the outcome.
FIXED_GAS = 600_000


class ExpectedRevertMissing(AssertionError):
    """A call that had to revert succeeded, or reverted with another error."""


@functools.cache
def helper_contracts() -> dict[str, Artifact]:
    """Test-only Solidity (``contracts/test``), compiled once and cached by content hash."""
    return load_artifacts(compile_contracts(src_dir=TEST_SOL, cache_dir=TEST_BUILD))


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, (bytes, HexBytes)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    return value


def same_args(got: tuple, expected: tuple) -> bool:
    """Revert or event arguments equal up to address case and bytes type."""
    return _norm(got) == _norm(expected)


@contextlib.contextmanager
def reverts(error: str, *args: Any) -> Iterator[pytest.ExceptionInfo[Reverted]]:
    """Assert the block raises ``Reverted`` with custom error ``error`` (and ``args``, when
    given; addresses compare case-insensitively)."""
    with pytest.raises(Reverted) as info:
        yield info
    got = info.value
    if got.error != error:
        raise ExpectedRevertMissing(f"expected revert {error}{args}, got {got.error}{got.args_}")
    if args and _norm(got.args_) != _norm(args):
        raise ExpectedRevertMissing(f"{error}: expected args {args}, got {got.args_}")


def only_event(contract: Contract, name: str, receipt: TxReceipt) -> dict:
    found = events(contract, name, receipt)
    assert len(found) == 1, f"expected one {name} event, got {len(found)}: {found}"
    return found[0]


def assert_event(contract: Contract, name: str, receipt: TxReceipt, **expected: Any) -> dict:
    """Exactly one ``name`` event whose arguments include ``expected``."""
    args = only_event(contract, name, receipt)
    diff = {k: (args.get(k), v) for k, v in expected.items() if _norm(args.get(k)) != _norm(v)}
    assert not diff, f"{name} arguments differ (got, expected): {diff}"
    return args


@dataclass(frozen=True)
class Outcome:
    """A mined transaction: whether it succeeded and, if not, the decoded revert."""

    receipt: TxReceipt
    error: str | None
    args: tuple

    @property
    def ok(self) -> bool:
        return self.error is None


def revert_of(sender: Sender, tx_hash: bytes | str) -> tuple[str, tuple]:
    """Why a mined transaction failed, from the node's call trace (replaying as a call at the
    previous block would see that block's timestamp, not the failing block's)."""
    return sender.decode(sender.chain.trace_output(tx_hash))


def outcome(sender: Sender, tx_hash: bytes | str) -> Outcome:
    receipt = sender.chain.wait(tx_hash)
    if receipt["status"] == 1:
        return Outcome(receipt, None, ())
    name, args = revert_of(sender, tx_hash)
    return Outcome(receipt, name, args)


def mined(p: Platform, account: LocalAccount, fn: ContractFunction, *,
          at: int | None = None, **kw: Any) -> Outcome:
    """Send with fixed gas (no estimation), optionally in a block stamped ``at``; the tx is
    mined whether it succeeds or not."""
    if at is not None:
        p.chain.set_next_block_timestamp(at)
    tx_hash = p.sender.transact(account, fn, gas=FIXED_GAS, wait=False, **kw)
    return outcome(p.sender, tx_hash)


# ----------------------------------------------------------------------- signatures

def split(sig: bytes) -> tuple[int, int, int]:
    assert len(sig) == 65, f"expected a 65-byte signature, got {len(sig)} bytes"
    return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]


def high_s(sig: bytes) -> bytes:
    """The malleated twin of a low-s signature: s' = n - s with v flipped."""
    r, s, v = split(sig)
    return r.to_bytes(32, "big") + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def compact(sig: bytes) -> bytes:
    """ERC-2098 64-byte form: r ‖ (yParity << 255 | s)."""
    r, s, v = split(sig)
    return r.to_bytes(32, "big") + ((v - 27) << 255 | s).to_bytes(32, "big")


def create_address(deployer: str, nonce: int) -> str:
    """Where a CREATE by ``deployer`` at ``nonce`` lands."""
    raw = rlp.encode([bytes(HexBytes(deployer)), nonce])
    return to_checksum_address(keccak(raw)[12:])


# ----------------------------------------------------------------------- deployments

def combined_sender(chain: Chain, *artifact_sets: dict[str, Artifact]) -> Sender:
    """A sender that names the custom errors of every given artifact set."""
    return Sender(chain, error_table(a.abi for arts in artifact_sets for a in arts.values()))


def deploy_with_token(chain: Chain, token_name: str, main: dict[str, Artifact], *,
                      actors: Actors | None = None, challenge_period: int = 3600,
                      credits: int = 10_000 * CREDIT) -> Platform:
    """The four-contract platform, with a test token from ``contracts/test`` in place of the
    CreditToken; roles onboarded and the machine registered as ``deploy_platform`` does."""
    return deploy_platform(chain, actors, challenge_period=challenge_period,
                           artifacts={**main, **helper_contracts()}, token=token_name,
                           customer_credits=credits, manufacturer_credits=credits)


def deploy_contract(p: Platform, name: str, *args: object,
                    deployer: LocalAccount | None = None) -> Contract:
    """Deploy one contract by artifact name (main or test-only) on ``p``'s chain."""
    arts = {**p.artifacts, **helper_contracts()}
    return p.sender.deploy(deployer or p.actors.admin, arts[name].abi, arts[name].bytecode,
                           *args)


def close_deadline(p: Platform, receipt: TxReceipt) -> int:
    return int(only_event(p.payments, "CloseRequested", receipt)["deadline"])


def recover(digest: bytes, sig: bytes) -> str:
    """The signer of a 65-byte signature over a raw digest, high s accepted (libsecp256k1
    recovers either twin; only the contract's policy tells them apart)."""
    v = split(sig)[2]
    pub = coincurve.PublicKey.from_signature_and_message(sig[:64] + bytes([v - 27]), digest,
                                                         hasher=None)
    return to_checksum_address(keccak(pub.format(compressed=False)[1:])[12:])


def _channel_components(p: Platform) -> list[dict]:
    (fn,) = [i for i in p.payments.abi if i.get("type") == "function" and i["name"] == "channel"]
    return fn["outputs"][0]["components"]


def deposit_limit(p: Platform) -> int:
    """The largest deposit a channel can hold, from the ABI width of ``Channel.deposit``."""
    (field,) = [c for c in _channel_components(p) if c["name"] == "deposit"]
    return 2 ** int(field["type"].removeprefix("uint")) - 1


def decode_channel(p: Platform, data: bytes) -> ChannelState:
    """A ``channel()`` return value captured as raw bytes (e.g. inside a re-entrant call)."""
    types = f"({','.join(c['type'] for c in _channel_components(p))})"
    (values,) = decode([types], data)
    names = [c["name"] for c in _channel_components(p)]
    return ChannelState(**{_snake(n): v for n, v in zip(names, values, strict=True)})


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)
