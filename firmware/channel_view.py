"""What the machine last learned about its channel on-chain, kept durably for offline use.

The offline spending bound and the signer check both read this view: after a power cut
with no network the machine still knows the deposit and the authorised phones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

OPEN, CLOSING, SETTLED = 1, 2, 3


@dataclass(frozen=True)
class ChannelView:
    customer: str = ""
    deposit: int = 0
    redeemed: int = 0
    sequence: int = 0
    status: int = 0
    close_deadline: int = 0
    signers: tuple[str, ...] = field(default=())
    block: int = 0
    chain_time: int = 0

    @property
    def known(self) -> bool:
        return self.status != 0

    def authorised(self, address: str) -> bool:
        a = address.lower()
        return a == self.customer.lower() or a in (s.lower() for s in self.signers)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict | None) -> ChannelView:
        if not doc:
            return cls()
        return cls(**{**doc, "signers": tuple(doc.get("signers", ()))})
