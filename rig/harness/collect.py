"""Gather the History of a finished machine run: ground truth from the parts and the chain.

Call it after the scenario healed every fault, let the firmware sync and (if it should) redeem,
and mined past the confirmation depth. Phones give the receipts they signed, the brew board
the coffees it dispensed, the rig's control socket the firmware's checkpoints; the chain gives
the channel's events (in chain order), the machine's transactions (found by scanning blocks for
its sender address, redeem calls decoded with the PaymentProvider ABI), the scanned blocks'
timestamps (when chain time passed a close deadline), balances and supply.
Everything is converted to JSON-ready values so the History round-trips.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hexbytes import HexBytes
from web3.contract import Contract

from rig.chain.node import Chain
from rig.hardware.protocols import ForeignPhones, capabilities_of
from rig.harness.machine_rig import MachineRig
from rig.history import (
    Block,
    ChainEvent,
    Dispensed,
    History,
    MachineTx,
    Mark,
    NodeChainId,
    SentToNode,
    Signed,
    TimelineEntry,
)
from rig.platform.channels import channel_state

CHANNEL_EVENTS = ("ChannelOpened", "ToppedUp", "SignerAuthorized", "SignerRevoked",
                  "Redeemed", "CloseRequested", "Settled")
TX_KINDS = {"redeem": "redeem", "checkIn": "check_in", "reportFault": "report_fault",
            "attestFix": "attest_fix"}


def jsonable(value: Any) -> Any:
    """Bytes as 0x hex, mappings and sequences recursively; JSON scalars unchanged."""
    if isinstance(value, bytes | bytearray):
        return HexBytes(value).to_0x_hex()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _signed(m: MachineRig, unknown: dict[str, str]) -> list[Signed]:
    """The rig's own phones' receipts, and a foreign phone's as it exported them."""
    own = [Signed(r.signer, r.sequence, r.cumulative_amount, r.price, r.product_id,
                  HexBytes(r.signature).to_0x_hex(), r.signed_at)
           for phone in m.phones for r in phone.wallet.receipts(m.key)]
    nfc = m.parts["nfc"]
    if not isinstance(nfc, ForeignPhones):
        return own
    exported = nfc.foreign_receipts()
    if exported is None:
        unknown["signed"] = (f"the foreign phone(s) {', '.join(nfc.foreign_addresses())} "
                             f"({m.profile.kind('nfc')}) export no receipts")
        return own
    channel = "0x" + m.rental.channel_id.hex()
    return own + [Signed(r["signer"], r["sequence"], r["cumulative_amount"], r["price"],
                         r["product_id"], r["signature"], r["signed_at"]) for r in exported
                  if str(r.get("channel_id", channel)).lower() == channel]   # this channel's


def _dispensed(m: MachineRig, unknown: dict[str, str]) -> list[Dispensed]:
    if "dispense_witness" not in capabilities_of(m.parts["brew"]):
        unknown["dispensed"] = (f"the brew board ({m.profile.kind('brew')}) keeps no dispense "
                                "log the rig can read")
        return []
    return [Dispensed(d["brew_id"], d["product_id"], d["started_at"], d["ended_at"])
            for d in m.brew.dispenses()]


def _marks(m: MachineRig) -> list[Mark]:
    return [Mark(c.seq, c.at, c.boot, c.name, jsonable(c.data))
            for c in list(m.control.checkpoints)]


def scan(chain: Chain, from_block: int = 0) -> list[dict]:
    """Every block from ``from_block`` to the head, with its transactions."""
    return [chain.block(number, full=True)
            for number in range(from_block, chain.block_number + 1)]


def _blocks(scanned: list[dict]) -> list[Block]:
    return [Block(int(b["number"], 16), int(b["timestamp"], 16)) for b in scanned]


class _BlockTimes:
    def __init__(self, m: MachineRig, known: list[Block]):
        self.chain, self.cache = m.chain, {b.number: b.timestamp for b in known}

    def __call__(self, block: int) -> int:
        if block not in self.cache:
            self.cache[block] = self.chain.timestamp(block)
        return self.cache[block]


def _events(m: MachineRig, from_block: int, times: _BlockTimes) -> list[ChainEvent]:
    payments = m.platform.payments
    logs = []
    for name in CHANNEL_EVENTS:
        logs += getattr(payments.events, name)().get_logs(
            from_block=from_block, to_block="latest",
            argument_filters={"channelId": m.rental.channel_id})
    logs.sort(key=lambda e: (e["blockNumber"], e["logIndex"]))
    return [ChainEvent(e["event"], jsonable(dict(e["args"])), e["blockNumber"],
                       e["transactionHash"].to_0x_hex(), times(e["blockNumber"]))
            for e in logs]


def _decode(contracts: dict[str, Contract], to: str | None, data: str) -> tuple[str, dict]:
    contract = contracts.get((to or "").lower())
    if contract is None:
        return "other", {"to": to}
    try:
        fn, args = contract.decode_function_input(data)
    except ValueError:
        return "other", {"to": to, "input": data[:10]}
    name = fn.fn_name
    return TX_KINDS.get(name, "other"), {"function": name, **jsonable(args)}


def _machine_txs(m: MachineRig, scanned: list[dict]) -> list[MachineTx]:
    p = m.platform
    machine = p.actors.machine.address.lower()
    contracts = {c.address.lower(): c for c in (p.payments, p.rental)}
    txs = []
    for block in scanned:
        number = int(block["number"], 16)
        for tx in block["transactions"]:
            if tx["from"].lower() != machine:
                continue
            receipt = m.chain.receipt(tx["hash"])
            kind, args = _decode(contracts, tx.get("to"), tx["input"])
            txs.append(MachineTx(tx["hash"], int(tx["nonce"], 16), kind,
                                 int(receipt["status"], 16), number, args,
                                 gas_used=int(receipt["gasUsed"], 16)))
    return txs


def _proxy_watch(m: MachineRig, since: float) -> tuple[list[SentToNode], list[NodeChainId]]:
    """What the RPC proxy delivered between the firmware and the node since ``since``: the
    raw transactions that reached the node and the chain ids the node answered (INV-10)."""
    stats = m.proxy.stats
    sent = [SentToNode(s.at, s.tx_hash, s.tx_chain_id, s.link) for s in stats.sent_raw()
            if s.at >= since]
    told = [NodeChainId(a.at, a.chain_id, a.link) for a in stats.chain_id_answers()
            if a.at >= since]
    return sent, told


def _settings(m: MachineRig) -> dict[str, Any]:
    return {**jsonable(asdict(m.settings)), "challenge_period": m.platform.challenge_period,
            "profile": m.profile.name}


def collect_history(m: MachineRig, scenario: str, seed: int, timeline: list[TimelineEntry],
                    supply_before: int, *, from_block: int = 0,
                    scanned: list[dict] | None = None) -> History:
    """The History of ``m``'s run so far. ``supply_before`` is the token's total supply taken
    before the scenario; ``from_block`` bounds the chain scan (0: the whole chain);
    ``scanned`` is that scan when machines sharing the chain already made it (``scan``)."""
    p = m.platform
    status = jsonable(m.status())
    state = channel_state(p, m.rental.channel_id)
    scanned = scan(m.chain, from_block) if scanned is None else scanned
    blocks = _blocks(scanned)
    times = _BlockTimes(m, blocks)
    withdrawable = sum(p.payments.functions.withdrawable(a).call()
                       for a in {state.payee, state.customer})
    sent, told = _proxy_watch(m, min((e.at for e in timeline), default=0.0))
    unknown: dict[str, str] = {}
    signed, dispensed = _signed(m, unknown), _dispensed(m, unknown)
    return History(
        scenario=scenario, seed=seed, chain_id=m.chain.chain_id,
        payment_provider=p.payments.address, channel_id="0x" + m.rental.channel_id.hex(),
        prices=dict(m.rental.terms.prices), settings=_settings(m),
        signed=signed, dispensed=dispensed, marks=_marks(m), timeline=list(timeline),
        events=_events(m, from_block, times), machine_txs=_machine_txs(m, scanned),
        blocks=blocks,
        token_supply_before=supply_before,
        token_supply_after=p.token.functions.totalSupply().call(),
        contract_balance=p.balance(p.payments.address), withdrawable=withdrawable,
        final_status=status, channel=jsonable(asdict(state)),
        sent_to_node=sent, node_chain_ids=told, unknown=unknown)
