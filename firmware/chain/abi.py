"""The ABI fragments the firmware calls, embedded: the Pi ships without a compiler.

A unit test checks each fragment against the compiled contracts.
"""

from __future__ import annotations


def _fn(name: str, inputs: list[tuple[str, str]], outputs: list | None = None,
        view: bool = False) -> dict:
    return {"type": "function", "name": name,
            "inputs": [{"name": n, "type": t} for n, t in inputs],
            "outputs": outputs or [],
            "stateMutability": "view" if view else "nonpayable"}


def _event(name: str, inputs: list[tuple[str, str, bool]]) -> dict:
    return {"type": "event", "name": name, "anonymous": False,
            "inputs": [{"name": n, "type": t, "indexed": i} for n, t, i in inputs]}


_CHANNEL_TUPLE = {"name": "", "type": "tuple", "components": [
    {"name": "customer", "type": "address"}, {"name": "status", "type": "uint8"},
    {"name": "closeDeadline", "type": "uint64"}, {"name": "deposit", "type": "uint96"},
    {"name": "redeemed", "type": "uint96"}, {"name": "sequence", "type": "uint64"},
    {"name": "payee", "type": "address"}, {"name": "machine", "type": "address"},
    {"name": "opener", "type": "address"}]}

_RENTAL_TUPLE = {"name": "", "type": "tuple", "components": [
    {"name": "offerId", "type": "uint256"}, {"name": "customer", "type": "address"},
    {"name": "status", "type": "uint8"}, {"name": "delivered", "type": "bool"},
    {"name": "channelId", "type": "bytes32"}]}

_TICKET_TUPLE = {"name": "", "type": "tuple", "components": [
    {"name": "rentalId", "type": "uint256"}, {"name": "faultCode", "type": "uint16"},
    {"name": "status", "type": "uint8"}, {"name": "serviceProvider", "type": "address"}]}

PAYMENT_PROVIDER = [
    _fn("channel", [("channelId", "bytes32")], [_CHANNEL_TUPLE], view=True),
    _fn("redeem", [("channelId", "bytes32"), ("cumulativeAmount", "uint256"),
                   ("sequence", "uint64"), ("signature", "bytes")]),
    _event("SignerAuthorized", [("channelId", "bytes32", True), ("signer", "address", True)]),
    _event("SignerRevoked", [("channelId", "bytes32", True), ("signer", "address", True)]),
    _event("Redeemed", [("channelId", "bytes32", True), ("payee", "address", True),
                        ("amount", "uint256", False), ("cumulativeAmount", "uint256", False),
                        ("sequence", "uint64", False), ("signer", "address", False)]),
]

RENTAL_PROVIDER = [
    _fn("rental", [("rentalId", "uint256")], [_RENTAL_TUPLE], view=True),
    _fn("ticket", [("ticketId", "uint256")], [_TICKET_TUPLE], view=True),
    _fn("checkIn", [("rentalId", "uint256")]),
    _fn("reportFault", [("rentalId", "uint256"), ("faultCode", "uint16")],
        [{"name": "ticketId", "type": "uint256"}]),
    _fn("attestFix", [("ticketId", "uint256")]),
    _event("FaultReported", [("ticketId", "uint256", True), ("rentalId", "uint256", True),
                             ("machine", "address", True), ("faultCode", "uint16", False)]),
]

TICKET_RESOLVED = 3
