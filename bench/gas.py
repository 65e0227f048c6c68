"""Gas used by every platform operation, and what paying per coffee costs on-chain.

``python -m bench.gas`` (``make gas``) starts its own anvil, deploys the platform, runs one
fixed sequence of transactions, reads ``gasUsed`` from each receipt, compares ERC-20-per-coffee
with one redeem per N coffees, writes ``bench/results/gas.json`` and prints a table.

The numbers are deterministic: same keys, same transaction order and deterministic (RFC 6979)
signatures give the same calldata and storage transitions on every run; block timestamps only
move values between non-zero states, which costs the same. Exit status: 0 target met,
1 a warm redeem exceeds the target, 2 the measurement could not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import TxReceipt

from bench.cost import ComparisonRow, CostModel, compare
from bench.gas_table import render
from contracts import Artifact, CompileError
from contracts.build import ROOT, SETTINGS
from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError
from rig.chain.node import Chain
from rig.platform import Platform, deploy_platform
from rig.platform.channels import signed
from rig.platform.deploy import CREDIT

RESULTS = ROOT / "bench" / "results" / "gas.json"
SCHEMA = "coffeepay-gas/1"
WARM_REDEEM_MAX_GAS = 60_000
WARM_REDEEMS = ("redeem_warm", "redeem_warm_delegate")
BATCH_SIZES = (1, 10, 100)
COFFEE_PRICE = 200_000  # 0.20 credits: one coffee
CHANNEL_DEPOSIT = 1_000 * CREDIT
FAULT_CODE = 17


class BenchError(RuntimeError):
    """The benchmark's own sequence went wrong (not a chain or compiler failure)."""


@dataclass(frozen=True)
class Operation:
    name: str
    gas: int
    caller: str
    what: str


@dataclass(frozen=True)
class Target:
    operations: tuple[str, ...]
    max_gas: int
    measured: dict[str, int]

    @property
    def met(self) -> bool:
        return all(gas <= self.max_gas for gas in self.measured.values())


@dataclass
class GasReport:
    operations: list[Operation]
    comparison: list[ComparisonRow]
    target: Target
    cost_model: CostModel
    environment: dict[str, Any] = field(default_factory=dict)

    def gas(self, name: str) -> int:
        for op in self.operations:
            if op.name == name:
                return op.gas
        raise KeyError(f"no operation {name!r} was measured; have: "
                       f"{', '.join(o.name for o in self.operations)}")

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "environment": self.environment,
            "target": {"operations": list(self.target.operations),
                       "max_gas": self.target.max_gas, "measured": self.target.measured,
                       "met": self.target.met},
            "operations": {o.name: {"gas": o.gas, "caller": o.caller, "what": o.what}
                           for o in self.operations},
            "comparison": {
                "cost_model": {**asdict(self.cost_model),
                               "eur_per_gas": self.cost_model.eur_per_gas,
                               "coffees_per_fleet_year": self.cost_model.coffees_per_fleet_year,
                               "lifecycle": "open + cooperative_close once per machine-year"},
                "rows": [asdict(r) for r in self.comparison],
            },
        }


@dataclass
class _Recorder:
    """Sends a transaction and keeps its receipt's gasUsed under a unique name."""

    p: Platform
    ops: list[Operation] = field(default_factory=list)

    def __call__(self, name: str, account: LocalAccount, fn: ContractFunction,
                 what: str) -> TxReceipt:
        if any(o.name == name for o in self.ops):
            raise BenchError(f"operation {name!r} measured twice: names must be unique")
        receipt = self.p.tx(account, fn)
        self.ops.append(Operation(name, int(receipt["gasUsed"]),
                                  self.p.actors.name_of(account.address), what))
        return receipt


def _event_arg(event: Any, receipt: TxReceipt, arg: str) -> Any:
    """``arg`` of the one ``event`` in ``receipt``; other contracts' logs are skipped."""
    found = event().process_receipt(receipt, errors=DISCARD)
    if len(found) != 1:
        raise BenchError(f"expected one {event.event_name} event in tx "
                         f"{receipt['transactionHash'].to_0x_hex()}, found {len(found)}")
    return found[0]["args"][arg]


def _channel_id(p: Platform, receipt: TxReceipt) -> bytes:
    return bytes(_event_arg(p.payments.events.ChannelOpened, receipt, "channelId"))


def _channel_fields(p: Platform, channel_id: bytes) -> dict[str, Any]:
    """The channel struct by field name, so a re-ordered (re-packed) struct still reads right."""
    (out,) = p.payments.get_function_by_name("channel").abi["outputs"]
    values = p.payments.functions.channel(channel_id).call()
    return {c["name"]: v for c, v in zip(out["components"], values, strict=True)}


def _channels(p: Platform, rec: _Recorder) -> dict[int, int]:
    """Open, top up, redeem (first, warm, batches), pay by ERC-20, close both ways."""
    a, pay, tok = p.actors, p.payments.functions, p.token.functions
    phone = a.employees[0]
    p.tx(a.customer, tok.approve(p.payments.address, CHANNEL_DEPOSIT))
    cid = _channel_id(p, rec("open", a.customer, pay.open(a.machine.address, CHANNEL_DEPOSIT, []),
                             "open a channel, no delegates (exact approval)"))
    p.tx(a.customer, tok.approve(p.payments.address, 100 * CREDIT))
    rec("top_up", a.customer, pay.topUp(cid, 100 * CREDIT), "add to the deposit")
    rec("authorize_signer", a.customer, pay.authorizeSigner(cid, phone.address),
        "authorise an employee's phone")

    cum, seq = 0, 0

    def redeem(name: str, signer: LocalAccount, coffees: int, what: str) -> int:
        nonlocal cum, seq
        cum, seq = cum + coffees * COFFEE_PRICE, seq + 1
        sig = signed(p, signer, cid, cum, seq)
        return rec(name, a.machine, pay.redeem(cid, cum, seq, sig), what)["gasUsed"]

    redeem("redeem_first", a.customer, 1,
           "first redeem: the payee's token balance goes from zero to non-zero")
    redeem("redeem_warm", a.customer, 1, "later redeem, receipt signed by the customer")
    redeem("redeem_warm_delegate", phone, 1, "later redeem, receipt signed by a delegate phone")
    by_n = {n: redeem(f"redeem_batch_{n}", phone, n, f"warm redeem covering {n} coffee(s)")
            for n in BATCH_SIZES}
    state = _channel_fields(p, cid)
    if (state["redeemed"], state["sequence"]) != (cum, seq):
        raise BenchError(f"channel 0x{cid.hex()} shows redeemed={state['redeemed']} "
                         f"sequence={state['sequence']}, expected {cum} and {seq}")

    rec("erc20_transfer", a.customer, tok.transfer(a.payee.address, COFFEE_PRICE),
        "pay one coffee by ERC-20 transfer (both balances non-zero)")
    rec("erc20_transfer_new_recipient", a.customer, tok.transfer(a.stranger.address, COFFEE_PRICE),
        "ERC-20 transfer to an account holding no tokens yet")

    cum, seq = cum + COFFEE_PRICE, seq + 1
    rec("cooperative_close", a.machine,
        pay.cooperativeClose(cid, cum, seq, signed(p, phone, cid, cum, seq)),
        "machine redeems its last receipt and refunds the rest in one step")

    p.tx(a.customer, tok.approve(p.payments.address, CHANNEL_DEPOSIT))
    second = _channel_id(p, p.tx(a.customer, pay.open(a.machine.address, CHANNEL_DEPOSIT, [])))
    rec("request_close", a.customer, pay.requestClose(second),
        "customer starts the challenge period")
    p.chain.increase_time(p.challenge_period + 1)
    p.chain.mine()
    rec("settle", a.stranger, pay.settle(second),
        "anyone settles after the deadline; the deposit is refunded")
    return by_n


def _rental(p: Platform, rec: _Recorder) -> None:
    """Escrow, offer, rental, supply (check-in) and service (ticket) flows, then termination."""
    a, rp, tok = p.actors, p.rental.functions, p.token.functions
    prices = {1: 150_000, 2: 200_000, 3: 250_000, 4: 300_000}
    fee, deposit, supply_fee, service_fee = 120 * CREDIT, 300 * CREDIT, 80 * CREDIT, 60 * CREDIT
    p.tx(a.manufacturer, tok.approve(p.rental.address, 1_000 * CREDIT))
    rec("fund_escrow", a.manufacturer, rp.fundEscrow(1_000 * CREDIT),
        "manufacturer funds supply/service escrow")
    listed = rec("list_offer", a.manufacturer,
                 rp.listOffer(a.machine.address, list(prices), list(prices.values()), fee,
                              deposit, a.supplier.address, supply_fee, service_fee),
                 f"list a rental offer with {len(prices)} products")
    offer_id = _event_arg(p.rental.events.OfferListed, listed, "offerId")
    p.tx(a.customer, tok.approve(p.rental.address, fee + deposit))
    p.tx(a.customer, tok.approve(p.payments.address, 50 * CREDIT))
    accepted = rec("accept_offer", a.customer, rp.acceptOffer(offer_id, 50 * CREDIT),
                   "rent: pay fee, lock security deposit, lock supply fee, open the channel")
    rental_id = _event_arg(p.rental.events.RentalStarted, accepted, "rentalId")
    rec("check_in", a.machine, rp.checkIn(rental_id),
        "machine attests delivery; supplier paid from escrow (first payment to it)")
    reported = rec("report_fault", a.machine, rp.reportFault(rental_id, FAULT_CODE),
                   "machine opens a service ticket")
    ticket_id = _event_arg(p.rental.events.FaultReported, reported, "ticketId")
    rec("accept_ticket", a.service, rp.acceptTicket(ticket_id),
        "service provider accepts; service fee locked")
    rec("resolve_ticket", a.service, rp.resolveTicket(ticket_id), "service provider resolves")
    rec("attest_fix", a.machine, rp.attestFix(ticket_id),
        "machine attests the fix; service provider paid (first payment to it)")
    rec("terminate", a.customer, rp.terminate(rental_id),
        "customer ends the rental: deposit back, channel close requested")


def measure(chain: Chain, model: CostModel | None = None,
            artifacts: dict[str, Artifact] | None = None) -> GasReport:
    """Deploy a fresh platform on ``chain`` (anvil: time travel for settle) and measure.

    ``artifacts`` (default: the build of contracts/src) lets a candidate change be measured.
    """
    model = model or CostModel()
    p = deploy_platform(chain, artifacts=artifacts)
    rec = _Recorder(p)
    by_n = _channels(p, rec)
    _rental(p, rec)
    gas = {o.name: o.gas for o in rec.ops}
    target = Target(WARM_REDEEMS, WARM_REDEEM_MAX_GAS, {n: gas[n] for n in WARM_REDEEMS})
    lifecycle = gas["open"] + gas["cooperative_close"]
    comparison = compare(gas["erc20_transfer"], by_n, lifecycle, model)
    return GasReport(rec.ops, comparison, target, model, environment(chain, p))


def _oz_version() -> str:
    pkg = ROOT / "node_modules" / "@openzeppelin" / "contracts" / "package.json"
    return json.loads(pkg.read_text())["version"] if pkg.exists() else "missing"


def environment(chain: Chain, p: Platform) -> dict[str, Any]:
    info = chain.node_info() if chain.is_anvil else {}
    return {
        "node": chain.client_version,
        "hardfork": info.get("hardFork") or info.get("hard_fork"),
        "chain_id": chain.chain_id,
        "solc": p.artifacts["PaymentProvider"].compiler,
        "optimizer": SETTINGS["optimizer"],
        "evm_version": SETTINGS["evmVersion"],
        "openzeppelin": _oz_version(),
        "challenge_period_s": p.challenge_period,
        "coffee_price_units": COFFEE_PRICE,
    }


def write(report: GasReport, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gas", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    args = ap.parse_args(argv)
    try:
        with Anvil() as node:
            report = measure(Chain(node.url))
    except (ChainError, CompileError, BenchError) as e:
        print(f"bench.gas: could not measure: {e}", file=sys.stderr)
        return 2
    print(render(report.to_json()))
    print(f"\nwrote {write(report, args.out)}")
    if not report.target.met:
        print(f"bench.gas: target missed: warm redeem must be <= {WARM_REDEEM_MAX_GAS} gas, "
              f"measured {report.target.measured}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
