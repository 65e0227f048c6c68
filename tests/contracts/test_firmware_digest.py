"""The firmware against the deployed contracts: its receipt digest is the contract's, and every
ABI fragment it embeds matches the compiled contract. The Pi ships without a compiler, so a
contract change that the firmware's copy misses must fail here, not in the field."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.chain.abi import PAYMENT_PROVIDER, RENTAL_PROVIDER, TICKET_RESOLVED
from firmware.channel_view import CLOSING, OPEN, SETTLED
from firmware.receipt import Domain, receipt_digest
from rig.platform import Platform

SOURCES = Path(__file__).resolve().parents[2] / "contracts" / "src"


def _domain(p: Platform) -> Domain:
    return Domain(p.chain.chain_id, p.payments.address)


# ---------------------------------------------------------------------- digest

def test_domain_separator_matches_the_contract(platform: Platform):
    assert _domain(platform).separator() == bytes(
        platform.payments.functions.domainSeparator().call())


def test_domain_separator_of_another_contract_differs(platform: Platform):
    other = Domain(platform.chain.chain_id, platform.rental.address)
    assert other.separator() != bytes(platform.payments.functions.domainSeparator().call())


@pytest.mark.parametrize(("cumulative", "sequence"), [(0, 0), (2**256 - 1, 2**64 - 1)])
def test_receipt_digest_matches_the_contract_at_the_bounds(platform: Platform, cumulative,
                                                           sequence):
    channel = b"\xff" * 32
    onchain = platform.payments.functions.receiptDigest(channel, cumulative, sequence).call()
    assert receipt_digest(_domain(platform), channel, cumulative, sequence) == bytes(onchain)


# Read-only view calls: sharing the per-test platform between examples changes nothing.
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(channel=st.binary(min_size=32, max_size=32),
       cumulative=st.integers(min_value=0, max_value=2**256 - 1),
       sequence=st.integers(min_value=0, max_value=2**64 - 1))
def test_receipt_digest_matches_the_contract(platform: Platform, channel, cumulative,
                                             sequence):
    onchain = platform.payments.functions.receiptDigest(channel, cumulative, sequence).call()
    assert receipt_digest(_domain(platform), channel, cumulative, sequence) == bytes(onchain)


# ---------------------------------------------------------------------- ABI

def _norm(param: dict, event: bool) -> dict:
    """A parameter without ``internalType`` (compiler detail the encoding never uses)."""
    out = {"name": param["name"], "type": param["type"]}
    if event:
        out["indexed"] = param["indexed"]
    if "components" in param:
        out["components"] = [_norm(c, False) for c in param["components"]]
    return out


def _shape(entry: dict) -> dict:
    event = entry["type"] == "event"
    shape = {"type": entry["type"], "name": entry["name"],
             "inputs": [_norm(i, event) for i in entry["inputs"]]}
    if event:
        shape["anonymous"] = entry.get("anonymous", False)
    else:
        shape["outputs"] = [_norm(o, False) for o in entry.get("outputs", [])]
        shape["stateMutability"] = entry["stateMutability"]
    return shape


def _drift(fragment: dict, compiled_abi: list[dict]) -> str | None:
    """Why ``fragment`` does not match the compiled entry of the same name, or None."""
    same = [e for e in compiled_abi
            if e.get("name") == fragment["name"] and e["type"] == fragment["type"]]
    if not same:
        return f"{fragment['type']} {fragment['name']} is not in the compiled ABI"
    want = _shape(fragment)
    if any(_shape(e) == want for e in same):
        return None
    return f"{fragment['name']}: firmware has {want}, compiled has {[_shape(e) for e in same]}"


FRAGMENTS = [("PaymentProvider", f) for f in PAYMENT_PROVIDER] + \
            [("RentalProvider", f) for f in RENTAL_PROVIDER]


@pytest.mark.parametrize(("contract", "fragment"), FRAGMENTS,
                         ids=[f"{c}.{f['name']}" for c, f in FRAGMENTS])
def test_firmware_abi_fragment_matches_the_compiled_contract(artifacts, contract, fragment):
    assert _drift(fragment, artifacts[contract].abi) is None


def _mutations(fragment: dict) -> list[dict]:
    """Copies of ``fragment`` each with one drift the check must catch."""
    out = []
    for key in ("inputs", "outputs"):
        for i, param in enumerate(fragment.get(key, [])):
            for field, value in (("type", "uint8" if param["type"] != "uint8" else "uint16"),
                                 ("name", param["name"] + "X")):
                m = copy.deepcopy(fragment)
                m[key][i][field] = value
                out.append(m)
            if "indexed" in param:
                m = copy.deepcopy(fragment)
                m[key][i]["indexed"] = not param["indexed"]
                out.append(m)
            for j, _ in enumerate(param.get("components", [])):
                m = copy.deepcopy(fragment)
                m[key][i]["components"][j]["type"] = "bytes7"
                out.append(m)
    if fragment["type"] == "function":
        m = copy.deepcopy(fragment)
        m["stateMutability"] = "payable"
        out.append(m)
        m = copy.deepcopy(fragment)
        m["outputs"] = [*m["outputs"], {"name": "", "type": "bool"}]
        out.append(m)
    m = copy.deepcopy(fragment)
    m["inputs"] = m["inputs"][:-1]
    out.append(m)
    return out


@pytest.mark.parametrize(("contract", "fragment"), FRAGMENTS,
                         ids=[f"{c}.{f['name']}" for c, f in FRAGMENTS])
def test_the_abi_check_catches_every_kind_of_drift(artifacts, contract, fragment):
    for mutant in _mutations(fragment):
        assert _drift(mutant, artifacts[contract].abi) is not None, mutant


# ---------------------------------------------------------------------- enum values

def _enum(source: str, name: str) -> list[str]:
    text = (SOURCES / source).read_text()
    match = re.search(rf"enum\s+{name}\s*\{{([^}}]*)\}}", text)
    assert match, f"enum {name} not found in {source}"
    return [m.strip() for m in match.group(1).split(",") if m.strip()]


def test_channel_status_numbers_match_the_contract():
    status = _enum("PaymentProvider.sol", "Status")
    assert (status.index("Open"), status.index("Closing"), status.index("Settled")) == \
        (OPEN, CLOSING, SETTLED)


def test_ticket_resolved_number_matches_the_contract():
    assert _enum("RentalProvider.sol", "TicketStatus").index("Resolved") == TICKET_RESOLVED
