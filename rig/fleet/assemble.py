"""Assemble a fleet: one platform on one chain, N rented machines, each an office.

Each machine has its own key and payee (registered by the manufacturer), its own rental and
payment channel, its own firmware process, SD card, boards and reader, and one phone per
employee, each an authorised signer of that office's channel. The platform's contracts and
its admin, manufacturer and customer are shared, as on the real chain.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from rig.chain.anvil import Anvil
from rig.chain.node import Chain
from rig.fleet.names import machine_name
from rig.harness.assemble import build_machine
from rig.harness.machine_rig import MachineRig
from rig.platform import deploy_platform
from rig.platform.deploy import CREDIT, Platform
from rig.platform.rental import RentalTerms
from rig.scenario.context import RunContext
from rig.scenario.draws import RecordingRandom

MACHINE_GAS_FUNDS = 10**18          # wei each machine account gets for its transactions
BOOT_WORKERS = 8                    # machines booted at once


@dataclass(frozen=True)
class RedeemPolicy:
    """The firmware's redeem policy: redeem once this much is unredeemed, or this long after
    the last redeem (seconds of the machine's clock)."""

    threshold: int = 5 * CREDIT
    interval: float = 3600.0

    def describe(self) -> str:
        return f"threshold {self.threshold / CREDIT:g} EUR, interval {self.interval:g} s"


@dataclass
class FleetMachine:
    index: int
    rig: MachineRig
    ctx: RunContext

    @property
    def name(self) -> str:
        return machine_name(self.index)


@dataclass
class Fleet:
    chain: Chain
    platform: Platform
    machines: list[FleetMachine]
    supply_before: int
    anvil: Anvil | None = None

    def close(self) -> None:
        with ThreadPoolExecutor(BOOT_WORKERS) as pool:
            list(pool.map(lambda f: f.rig.close(), self.machines))


def _key(seed: int, what: str) -> LocalAccount:
    """A key derived from the fleet's seed: the same seed names the same machines."""
    return Account.from_key(keccak(text=f"coffeepay-fleet/{seed}/{what}"))


def build_fleet(workdir: Path, chain: Chain, machines: list[int], seed: int, *,
                employees: int, deposit: int, policy: RedeemPolicy, sync_interval: float,
                defects: tuple[str, ...] = (), profile: str = "emulated",
                anvil: Anvil | None = None) -> Fleet:
    """Deploy the platform and rent the fleet's machines ``machines`` (their indices) to
    offices of ``employees``. Everything of machine *i* comes from the seed and *i*, so it
    is the same machine in any shard of the fleet."""
    terms = RentalTerms(channel_deposit=deposit)
    per_rental = terms.rental_fee + terms.security_deposit + terms.channel_deposit
    n = len(machines)
    platform = deploy_platform(chain, customer_credits=n * per_rental + 1_000 * CREDIT,
                               manufacturer_credits=n * terms.escrow + 1_000 * CREDIT)
    supply = platform.token.functions.totalSupply().call()
    a = platform.actors
    fleet = Fleet(chain, platform, [], supply, anvil)
    for i in machines:
        rng = random.Random(f"coffeepay-fleet/{seed}/machine/{i}")
        key, payee = _key(seed, f"machine/{i}"), _key(seed, f"payee/{i}")
        platform.tx(a.admin, None, to=key.address, value=MACHINE_GAS_FUNDS)
        platform.tx(a.manufacturer, platform.identity.functions.registerMachine(
            key.address, payee.address))
        own = replace(platform, actors=replace(a, machine=key, payee=payee))
        m = build_machine(workdir / machine_name(i), own, rng, profile, phones=employees,
                          terms=terms, confirmations=1, sync_interval=sync_interval,
                          redeem_threshold=policy.threshold, redeem_interval=policy.interval,
                          defects=defects)
        m.anvil = anvil
        fleet.machines.append(FleetMachine(i, m, RunContext(m, RecordingRandom(
            rng.randrange(2**32)))))
    return fleet


def boot(fleet: Fleet) -> None:
    """Every machine booted and synced once (a few at a time: boots are CPU-bound)."""
    with ThreadPoolExecutor(BOOT_WORKERS) as pool:
        list(pool.map(lambda f: f.rig.strategy.transition("booted"), fleet.machines))
