"""An emulated phone: the wallet applet behind the field's card-emulation interface."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from emulators.nfc.application import CardAction
from emulators.phone import apdu
from emulators.phone.applet import CoffeePayApplet
from emulators.phone.behaviour import Behaviour, PullAway
from emulators.phone.wallet import Wallet


@dataclass(eq=False)
class Phone:
    """A phone running the CoffeePay HCE wallet. Set ``behaviour`` to make it misbehave.

    "Pulled away" is silence from then on, exactly what a reader sees from a real phone
    that left the field; the wallet's log still shows anything it signed before leaving.
    """

    wallet: Wallet
    behaviour: Behaviour = field(default_factory=Behaviour)
    name: str = "phone"

    @classmethod
    def generate(cls, rng: random.Random, name: str = "phone",
                 per_purchase_limit: int | None = None) -> Phone:
        return cls(Wallet.generate(rng, per_purchase_limit), name=name)

    @property
    def address(self) -> str:
        return self.wallet.address

    def activates(self) -> bool:
        """Whether this presentation comes up (``Behaviour.missed_activations`` counts down)."""
        missed = self.behaviour.missed_activations
        if missed:
            self.behaviour = replace(self.behaviour, missed_activations=missed - 1)
        return not missed

    def process_apdu(self, command: bytes) -> CardAction:
        behaviour = self.behaviour
        is_select = command[:2] == bytes([apdu.CLA_ISO, apdu.INS_SELECT])
        is_sign = command[:2] == bytes([apdu.CLA_COFFEEPAY, apdu.INS_SIGN_RECEIPT])
        if is_sign and behaviour.pull_away is PullAway.MID_SIGN:
            return CardAction(None, leave=True)
        response = CoffeePayApplet(self.wallet).process(command, behaviour)
        if is_sign and behaviour.pull_away is PullAway.BEFORE_RESPONSE:
            return CardAction(None, leave=True)
        leave = (is_select and behaviour.pull_away is PullAway.AFTER_SELECT
                 and response.endswith(apdu.SW_OK))
        delay = behaviour.slow_seconds if is_sign else 0.0
        completes = is_sign and response.endswith(apdu.SW_OK)
        return CardAction(response, delay=delay, leave=leave, completes=completes)

    def __repr__(self) -> str:
        return f"Phone({self.name!r}, {self.address})"
