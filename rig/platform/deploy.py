"""Deploy the four platform contracts and onboard the standard actors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from web3.contract import Contract

from contracts import Artifact, load_artifacts
from rig.chain.compat import check_node
from rig.chain.node import Chain
from rig.chain.tx import Sender, error_table
from rig.platform.actors import Actors

CREDIT = 10**6  # one euro in token base units (6 decimals)


class Role(IntEnum):
    """Mirror of IdentityProvider.Role."""

    Admin = 0
    Manufacturer = 1
    Customer = 2
    Machine = 3
    ServiceProvider = 4
    Supplier = 5


@dataclass
class Platform:
    chain: Chain
    sender: Sender
    actors: Actors
    artifacts: dict[str, Artifact]
    token: Contract
    identity: Contract
    payments: Contract
    rental: Contract
    challenge_period: int

    def tx(self, account, fn, **kw):
        return self.sender.transact(account, fn, **kw)

    def addresses(self) -> dict[str, str]:
        return {"CreditToken": self.token.address, "IdentityProvider": self.identity.address,
                "PaymentProvider": self.payments.address, "RentalProvider": self.rental.address}

    def balance(self, address: str) -> int:
        return self.token.functions.balanceOf(address).call()


def deploy_platform(chain: Chain, actors: Actors | None = None, *,
                    challenge_period: int = 24 * 3600,
                    artifacts: dict[str, Artifact] | None = None,
                    customer_credits: int = 10_000 * CREDIT,
                    manufacturer_credits: int = 10_000 * CREDIT,
                    token: str = "CreditToken") -> Platform:
    """Deploy, wire roles, register the machine, and mint starting credits.

    ``token`` names the credit token's artifact; any other one (the adversarial suite's
    hostile tokens) is deployed without constructor arguments and must offer ``mint``."""
    check_node(chain)   # Cancun and funded accounts, before anything is deployed
    actors = actors or Actors.standard(first=chain.share.first_account)
    arts = artifacts or load_artifacts()
    sender = Sender(chain, error_table(a.abi for a in arts.values()))
    admin = actors.admin

    def deploy(name: str, *args: object) -> Contract:
        return sender.deploy(admin, arts[name].abi, arts[name].bytecode, *args)

    token_contract = deploy(token, *((admin.address,) if token == "CreditToken" else ()))
    identity = deploy("IdentityProvider", admin.address)
    payments = deploy("PaymentProvider", token_contract.address, identity.address, challenge_period)
    rental = deploy("RentalProvider", token_contract.address, identity.address, payments.address)
    p = Platform(chain, sender, actors, arts, token_contract, identity, payments, rental,
                 challenge_period)

    onboard = identity.functions.onboard
    for account, role in [(actors.second_admin, Role.Admin),
                          (actors.manufacturer, Role.Manufacturer),
                          (actors.customer, Role.Customer),
                          (actors.supplier, Role.Supplier),
                          (actors.service, Role.ServiceProvider)]:
        p.tx(admin, onboard(account.address, role))
    p.tx(admin, payments.functions.setOpener(rental.address, True))
    p.tx(actors.manufacturer,
         identity.functions.registerMachine(actors.machine.address, actors.payee.address))
    p.tx(admin, token_contract.functions.mint(actors.customer.address, customer_credits))
    p.tx(admin, token_contract.functions.mint(actors.manufacturer.address, manufacturer_credits))
    return p
