"""Assemble a rented machine: rental on-chain, one phone per employee, the rig around it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from emulators.phone import Phone
from rig.hardware import load_profile
from rig.harness.machine_rig import FirmwareSettings, MachineRig
from rig.platform import Platform
from rig.platform.rental import RentalTerms, start_rental


def build_machine(workdir: Path, platform: Platform, rng: random.Random, profile: str,
                  phones: int = 3, terms: RentalTerms | None = None,
                  **settings: Any) -> MachineRig:
    """Rent the machine to the customer, give each employee a phone (an authorised delegate
    signer of the channel), and build the rig with the profile's hardware."""
    rental = start_rental(platform, terms, delegates=False)
    people = [Phone.generate(rng, name=f"phone{i + 1}") for i in range(phones)]
    for phone in people:
        platform.tx(platform.actors.customer, platform.payments.functions.authorizeSigner(
            rental.channel_id, phone.address))
    return MachineRig(workdir, platform.chain, platform, rental, people,
                      load_profile(profile), rng.randrange(2**32),
                      FirmwareSettings(**settings))
