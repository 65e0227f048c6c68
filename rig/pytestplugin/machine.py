"""The machine under test as a fixture: firmware process, hardware parts, rental on-chain."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulators.phone import Phone
from rig.hardware import load_profile
from rig.harness.machine_rig import FirmwareSettings, MachineRig
from rig.platform import Platform
from rig.platform.rental import RentalTerms, start_rental

MachineFactory = Callable[..., MachineRig]


def build_machine(workdir: Path, platform: Platform, rng: random.Random, profile: str,
                  phones: int = 3, terms: RentalTerms | None = None,
                  **settings: object) -> MachineRig:
    """Rent the machine to the customer, give each employee a phone, assemble the rig."""
    rental = start_rental(platform, terms, delegates=False)
    people = [Phone.generate(rng, name=f"phone{i + 1}") for i in range(phones)]
    for phone in people:
        platform.tx(platform.actors.customer, platform.payments.functions.authorizeSigner(
            rental.channel_id, phone.address))
    return MachineRig(workdir, platform.chain, platform, rental, people,
                      load_profile(profile), rng.randrange(2**32),
                      FirmwareSettings(**settings))  # type: ignore[arg-type]


@pytest.fixture
def machine_factory(platform: Platform, rng: random.Random, tmp_path: Path,
                    request: pytest.FixtureRequest) -> Iterator[MachineFactory]:
    built: list[MachineRig] = []
    profile = request.config.getoption("--profile")

    def make(**kw: object) -> MachineRig:
        rig = build_machine(tmp_path / f"machine{len(built) + 1}", platform, rng, profile, **kw)
        built.append(rig)
        return rig

    yield make
    for rig in built:
        rig.close()
