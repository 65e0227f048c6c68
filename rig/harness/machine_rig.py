"""One coffee machine under test, assembled from a profile, a chain and a rental.

Builds the hardware parts the profile names, the RPC proxy between firmware and chain and
the rig's control socket, writes the firmware's config, and offers the world's primitives:
power, the uplink, time. Getting the machine into a state is its ``strategy``
(strategy.py); what people do at it is ``people`` (people.py).
"""

from __future__ import annotations

import contextlib
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from emulators.brewboard import EmulatedBrewBoard
from emulators.nfc import Field
from emulators.phone import Phone
from emulators.phone.channels import ChannelKey
from emulators.pi import EmulatedPi
from emulators.sensors import SensorBoard
from rig.chain.anvil import Anvil
from rig.chain.node import Chain
from rig.hardware import PartContext, Profile, create_part
from rig.hardware.firmware_env import firmware_environment
from rig.hardware.protocols import (
    BoardFaults,
    CardCopies,
    DispenseWitness,
    FirmwareHost,
    ForeignPhones,
    MissingHardware,
    PhonePresenter,
    ProductPanel,
    SensorFaults,
    SensorValues,
    StorageFaults,
    capabilities_of,
)
from rig.harness.control import Checkpoint, RigControl
from rig.harness.people import People, TapOutcome
from rig.harness.strategy import MachineStrategy
from rig.net.proxy import RpcProxy
from rig.platform import Platform
from rig.platform.rental import Rental


@dataclass(frozen=True)
class FirmwareSettings:
    confirmations: int = 1
    sync_interval: float = 0.3
    redeem_threshold: int = 10**12       # by default only interval / close / demand redeem
    redeem_interval: float = 10**9
    rpc_timeout: float = 1.0
    hold: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()


@dataclass(repr=False)
class MachineRig:
    workdir: Path
    chain: Chain
    platform: Platform
    rental: Rental
    phones: list[Phone]
    profile: Profile
    seed: int
    settings: FirmwareSettings = field(default_factory=FirmwareSettings)
    anvil: Anvil | None = None          # the node process, when the rig owns it

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sockdir = Path(tempfile.mkdtemp(prefix="cp-", dir="/tmp"))
        ctx = PartContext(self.workdir, self.sockdir, random.Random(self.rng.random()))
        self.parts = {name: create_part(name, self.profile.kind(name), ctx,
                                        **self.profile.params(name))
                      for name in ("nfc", "brew", "sensors", "power")}
        env = firmware_environment(self.parts)
        if env:
            self.host.set_env(env)
        self.control = RigControl(self.sockdir / "rig.sock")
        rpc = self.chain.url.removeprefix("http://").split(":")
        self.proxy = RpcProxy(rpc[0], int(rpc[1])).start()
        self.config_path = self.workdir / "machine.toml"
        self.write_config()
        self.people = People(self)
        self.strategy = MachineStrategy(self)
        self.key = ChannelKey(self.chain.chain_id, self.platform.payments.address,
                              self.rental.channel_id)
        foreign = self.foreign_phones()
        for address in foreign:   # the employer makes a phone it does not own a signer too
            self.platform.tx(self.platform.actors.customer,
                             self.platform.payments.functions.authorizeSigner(
                                 self.rental.channel_id, address))
        signers = [self.platform.actors.customer.address, *(p.address for p in self.phones),
                   *foreign]
        for phone in self.phones:
            phone.wallet.set_channel(self.key, signers)

    def foreign_phones(self) -> list[str]:
        """Wallet addresses of the phones the profile names that the rig does not own."""
        nfc = self.parts["nfc"]
        return nfc.foreign_addresses() if isinstance(nfc, ForeignPhones) else []

    def __repr__(self) -> str:
        return f"MachineRig({self.workdir}, profile={self.profile.name}, seed={self.seed})"

    # ------------------------------------------------------------------ parts
    def _capable(self, part: str, capability: str) -> Any:
        """The part, as the protocol of ``capability`` (checked: a part kind that does not
        implement it is named, not failed deep inside a fault with an AttributeError)."""
        p = self.parts[part]
        if capability not in capabilities_of(p):
            raise MissingHardware(capability, f"this machine's {part} part "
                                              f"({self.profile.kind(part)})")
        return p

    @property
    def host(self) -> FirmwareHost:
        """The Pi the firmware runs on, with its power."""
        return self._capable("power", "firmware_host")

    @property
    def storage(self) -> StorageFaults:
        return self._capable("power", "storage_faults")

    @property
    def card_copies(self) -> CardCopies:
        return self._capable("power", "card_copies")

    @property
    def reader(self) -> PhonePresenter:
        """Where phones are presented to the machine's NFC reader."""
        return self._capable("nfc", "phone_presenter")

    @property
    def brew(self) -> DispenseWitness:
        return self._capable("brew", "dispense_witness")

    @property
    def brew_faults(self) -> BoardFaults:
        return self._capable("brew", "board_faults")

    @property
    def panel(self) -> ProductPanel:
        """The product buttons, as people press them."""
        return self._capable("sensors", "product_panel")

    @property
    def sensor_values(self) -> SensorValues:
        """What the sensor chips measure, as the world sets it."""
        return self._capable("sensors", "sensor_values")

    @property
    def sensor_faults(self) -> SensorFaults:
        return self._capable("sensors", "sensor_faults")

    def describe_parts(self) -> dict[str, dict[str, str]]:
        """Which kind, driver and device or host each part used, and what the firmware said
        it reached at its last boot (``firmware``): for the run record."""
        booted = [c for c in list(self.control.checkpoints) if c.name == "booted"]
        seen = booted[-1].data.get("devices", {}) if booted else {}
        return {name: {"kind": self.profile.kind(name), **part.describe(),
                       **({"firmware": str(seen[name])} if name in seen else {})}
                for name, part in self.parts.items()}

    # Emulator handles, for tests that script an emulated part beyond its protocols; the
    # rig's own code goes through the protocol accessors above.
    @property
    def field(self) -> Field:
        return self.parts["nfc"].field  # type: ignore[attr-defined]

    @property
    def board(self) -> EmulatedBrewBoard:
        return self.parts["brew"].board  # type: ignore[attr-defined]

    @property
    def sensors(self) -> SensorBoard:
        return self.parts["sensors"].board  # type: ignore[attr-defined]

    @property
    def pi(self) -> EmulatedPi:
        return self.parts["power"].pi  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ config
    def write_config(self) -> None:
        s, p, r = self.settings, self.platform, self.rental
        nfc, brew, sensors = (self.parts[n].config() for n in ("nfc", "brew", "sensors"))
        config = {
            "machine": {"key": p.actors.machine.key.hex(),
                        "data_dir": str(self.workdir / "sdcard")},
            "chain": {"rpc_url": self.host.reach(self.proxy.url), "chain_id": self.chain.chain_id,
                      "payment_provider": p.payments.address,
                      "rental_provider": p.rental.address,
                      "channel_id": f"0x{r.channel_id.hex()}", "rental_id": r.rental_id,
                      "confirmations": s.confirmations, "sync_interval": s.sync_interval,
                      "redeem_threshold": s.redeem_threshold,
                      "redeem_interval": float(s.redeem_interval),
                      "rpc_timeout": s.rpc_timeout},
            "prices": {str(k): v for k, v in r.terms.prices.items()},
            "nfc": {"device": nfc["device"], "poll_timeout": nfc["poll_timeout"]},
            "brew": {"port": brew["port"], "timeout": brew["timeout"]},
            "sensors": {"bus": sensors["bus"], "interval": sensors["interval"]},
            "test": {"control": self.host.reach(str(self.control.path)),
                     "hold": list(s.hold)},
            "defects": dict.fromkeys(s.defects, True),
        }
        self.config_path.write_text(tomli_w.dumps(config))

    def write_config_hold(self, hold: tuple[str, ...]) -> None:
        """Checkpoints the firmware holds from its next boot on."""
        from dataclasses import replace

        self.settings = replace(self.settings, hold=hold)
        self.write_config()

    # ------------------------------------------------------------------ power
    def power_on(self, wait: bool = True, timeout: float = 30.0) -> Checkpoint | None:
        mark = self.control.mark()
        self.host.power_on()
        if not wait:
            return None
        return self.control.wait_for("booted", timeout=timeout, after=mark)

    def power_cut(self) -> None:
        self.host.power_off()

    def shutdown(self) -> None:
        self.host.shutdown()

    @property
    def powered(self) -> bool:
        return self.host.powered

    # ------------------------------------------------------------------ backups
    def take_backup(self, label: str = "backup") -> Path:
        """Copy the SD card to ``backups/<label>`` (replacing one of that name). A running
        machine is shut down cleanly first, so the copy is consistent, and booted again."""
        backups = self.workdir / "backups"
        target = backups / label
        if target.parent != backups or label in ("", ".", ".."):
            raise ValueError(f"backup label {label!r} must be a plain name, not a path")
        was_on = self.powered
        if was_on:
            self.shutdown()
        try:
            self.card_copies.copy_dir(str(self.workdir / "sdcard"), str(target))
        except FileNotFoundError as e:
            raise FileNotFoundError(f"{e}: no SD card to back up; boot the machine once "
                                    "first") from None
        if was_on:
            self.power_on()
        return target

    def restore_backup(self, label: str = "backup") -> Checkpoint | None:
        """The machine restored from an old backup: power cut, the SD card replaced by a
        copy of ``backups/<label>``, power on (returns the ``booted`` checkpoint)."""
        backups = self.workdir / "backups"
        source = backups / label
        if source.parent != backups or label in ("", ".", ".."):
            raise ValueError(f"backup label {label!r} must be a plain name, not a path")
        self.power_cut()
        try:
            self.card_copies.copy_dir(str(source), str(self.workdir / "sdcard"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{source}: no backup named {label!r}; take it first "
                                    "with take_backup()") from None
        return self.power_on()

    # ------------------------------------------------------------------ network
    def set_online(self, online: bool) -> None:
        self.proxy.online = online

    def wait_synced(self, timeout: float = 30.0, **match: Any) -> Checkpoint:
        """The next sync round that read the chain at or after its head of now.

        "The next ``synced`` after now" is not enough: a round that read the head before a
        change (a close, a heal) may complete after it and report the old state."""
        mark, head = self.control.mark(), self.chain.block_number
        return self.control.wait_for("synced", timeout=timeout, after=mark,
                                     where=lambda d: d.get("block", -1) >= head,
                                     what=f" at block >= {head}", **match)

    # ------------------------------------------------------------------ people
    def select(self, product: int) -> None:
        self.people.select(product)

    def tap(self, phone: Phone, product: int | None = None,
            timeout: float = 20.0) -> TapOutcome:
        return self.people.tap(phone, product, timeout)

    # ------------------------------------------------------------------ time
    def advance(self, seconds: int) -> None:
        """Move chain time and the firmware's clock together."""
        self.chain.increase_time(seconds)
        self.chain.mine()
        self.control.clock_advance(seconds)

    def mine(self, blocks: int = 1) -> None:
        """``blocks`` more blocks: mined now, or on a node that mines only by itself
        (no dev methods), waited for."""
        if self.chain.has("mine"):
            self.chain.mine(blocks)
        else:
            self.chain.wait_blocks(blocks)

    def status(self) -> dict:
        return self.control.status()

    def wait_until(self, predicate: Any, timeout: float = 30.0, what: str = "",
                   mine: bool = True) -> dict:
        """Poll the firmware's status until ``predicate(status)`` holds; with ``mine`` a
        block is mined per poll, so transactions reach their confirmation depth (a node
        that cannot mine on demand mines by itself)."""
        mine = mine and self.chain.has("mine")
        deadline = time.monotonic() + timeout
        status: dict = {}
        while time.monotonic() < deadline:
            status = self.status()
            if predicate(status):
                return status
            if mine:
                self.chain.mine()
            time.sleep(0.1)
        raise TimeoutError(f"firmware status never satisfied {what or predicate}: {status}")

    # ------------------------------------------------------------------ teardown
    def close(self) -> None:
        for part in reversed(list(self.parts.values())):
            with contextlib.suppress(Exception):  # teardown goes on whatever one part does
                part.close()
        self.proxy.stop()
        self.control.close()
