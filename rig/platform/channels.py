"""Opening and reading payment channels on a deployed platform."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from rig.chain.tx import events
from rig.platform.deploy import Platform
from rig.platform.receipts import Domain, sign_receipt


@dataclass(frozen=True)
class ChannelState:
    customer: str
    status: int
    close_deadline: int
    deposit: int
    redeemed: int
    sequence: int
    payee: str
    machine: str
    opener: str

    OPEN, CLOSING, SETTLED = 1, 2, 3


def domain(p: Platform) -> Domain:
    return Domain(p.chain.chain_id, p.payments.address)


def open_channel(p: Platform, deposit: int, delegates: list[str] | None = None,
                 customer: LocalAccount | None = None, machine: str | None = None) -> bytes:
    """Approve and open a channel customer → machine; returns its channel id."""
    customer = customer or p.actors.customer
    machine = machine or p.actors.machine.address
    p.tx(customer, p.token.functions.approve(p.payments.address, deposit))
    receipt = p.tx(customer, p.payments.functions.open(machine, deposit, delegates or []))
    (event,) = events(p.payments, "ChannelOpened", receipt)
    return bytes(event["channelId"])


def channel_state(p: Platform, channel_id: bytes) -> ChannelState:
    return ChannelState(*p.payments.functions.channel(channel_id).call())


def signed(p: Platform, signer: LocalAccount, channel_id: bytes, cumulative: int,
           sequence: int) -> bytes:
    return sign_receipt(signer, domain(p), channel_id, cumulative, sequence)
