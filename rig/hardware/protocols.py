"""What the rig may ask of a part: one small protocol per capability (labgrid's lesson).

Faults, steps and ground-truth collection talk to these, never to an emulator class, so a
real part stands in for an emulated one by implementing the same protocols. A part kind
implements the ones it can; ``capabilities_of`` names them, and a fault or scenario that
needs one the profile's parts lack is refused before it runs (rig/hardware/capability.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Finding:
    """One line of ``rig doctor``: a part (or the chain), whether it answered, what it said,
    and what to do when it did not."""

    part: str
    ok: bool
    detail: str
    fix: str = ""


@runtime_checkable
class Part(Protocol):
    """Every started part: what the firmware's config needs to reach it, what it is (for
    the run record), and how to stop it."""

    def config(self) -> dict[str, Any]: ...

    def describe(self) -> dict[str, str]:
        """``{"driver": ..., "device"/"host": ...}``: which code path and which device or
        host this part uses, written into the run record."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class FirmwareEnvironment(Protocol):
    """A part the firmware's process must be started with environment for (e.g. umockdev's
    preload library for an emulated /dev/i2c-N)."""

    def firmware_env(self) -> dict[str, str]: ...


@runtime_checkable
class SharesDevices(Protocol):
    """A part that changes what the firmware's process sees under /dev (umockdev's preload)
    and must be told the other parts' device nodes, so they stay reachable there."""

    def share_devices(self, paths: list[str]) -> None: ...


@runtime_checkable
class FirmwareHost(Protocol):
    """The computer the firmware runs on, with its power: boot it, cut it, shut it down.

    ``power_off`` is a power cut (unsynced writes are lost); ``shutdown`` is the clean path.
    ``boots`` counts power-ons, so a watcher sees a power cycle it did not observe."""

    @property
    def powered(self) -> bool: ...

    @property
    def boots(self) -> int: ...

    @property
    def console(self) -> Path:
        """The firmware's console (JSON-lines log), as collected on the rig host."""
        ...

    def set_env(self, env: dict[str, str]) -> None:
        """Environment for the firmware's process from the next boot on."""
        ...

    def reach(self, endpoint: str) -> str:
        """Where the firmware reaches ``endpoint`` of the rig host (``http://127.0.0.1:PORT``
        or a Unix socket's path): itself on the same host, else the address of what carries
        it there (an ``http://`` URL, or ``tcp:HOST:PORT`` for a socket). Asking again for
        the same endpoint gives the same address."""
        ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def shutdown(self) -> int | None:
        """The clean path: SIGTERM, the firmware closes its store; its exit code if known."""
        ...


@runtime_checkable
class FirmwareTools(Protocol):
    """The firmware host runs one of the firmware's tools (``python -m MODULE ARGS``) with
    the firmware's environment, where the firmware runs: e.g. its self-test on the Pi."""

    def run_tool(self, module: str, args: list[str], timeout: float) -> tuple[int, str]: ...


@runtime_checkable
class Diagnosable(Protocol):
    """A part that can check itself beyond what the firmware's self-test sees (a plug's
    relay state, SSH to the Pi and its Python)."""

    def probe(self) -> list[Finding]: ...


@runtime_checkable
class StorageFaults(Protocol):
    """The SD card's fault hooks: cut power after the k-th sync, tear a write, fill it."""

    def arm_sdcard(self, **faults: object) -> None: ...


@runtime_checkable
class CardCopies(Protocol):
    """Copies of the SD card's directory where the card is (this host, or the Pi over SSH):
    taking a backup, restoring an old one."""

    def copy_dir(self, src: str, dst: str) -> None:
        """``dst`` replaced by a copy of ``src`` (whole or not at all);
        ``FileNotFoundError`` when there is no ``src``."""
        ...


@runtime_checkable
class PhonePresenter(Protocol):
    """The NFC side: put a phone on the reader until the machine is done with it, or take
    it away. A phone the rig does not own is presented by a person (or not at all)."""

    def tap(self, phone: Any, timeout: float) -> object: ...

    def remove(self) -> object: ...


@runtime_checkable
class ForeignPhones(Protocol):
    """Phones the rig does not own (another team's emulator, a real phone): their wallet
    addresses, and the receipts they signed as they export them (None: no export, so what
    they signed is unknowable and the invariants reading it stay undecided)."""

    def foreign_addresses(self) -> list[str]: ...

    def foreign_receipts(self) -> list[dict[str, Any]] | None: ...


@runtime_checkable
class DispenseWitness(Protocol):
    """The brew board's own record of what it dispensed: ground truth for the oracle."""

    def dispenses(self) -> list[dict[str, Any]]: ...


@runtime_checkable
class BoardFaults(Protocol):
    """Fault hooks of the brew board (serial garbage, a stuck pump, ...)."""

    def inject(self, fault: Any) -> Any: ...

    def heal(self, name: str | None = None) -> int: ...


@runtime_checkable
class ProductPanel(Protocol):
    """The machine's product buttons (on the status MCU): a person presses one, or the rig
    does on an emulated board."""

    def select_product(self, product: int) -> None: ...


@runtime_checkable
class SensorValues(Protocol):
    """What the sensor chips measure, as the world sets it (only an emulated chip)."""

    def set_temperature(self, celsius: float) -> None: ...


@runtime_checkable
class SensorFaults(Protocol):
    """Fault hooks of the sensor chips (a chip gone from the bus, stuck, out of range)."""

    def inject_chip(self, chip: str, fault: Any) -> None: ...

    def heal_chip(self, chip: str, fault: Any = None) -> None: ...


CAPABILITIES: dict[str, type] = {
    "firmware_host": FirmwareHost,
    "storage_faults": StorageFaults,
    "card_copies": CardCopies,
    "phone_presenter": PhonePresenter,
    "dispense_witness": DispenseWitness,
    "board_faults": BoardFaults,
    "product_panel": ProductPanel,
    "sensor_values": SensorValues,
    "sensor_faults": SensorFaults,
}
"""Capability names (what faults and steps declare they need) and their protocols."""


class MissingHardware(LookupError):
    """A fault or step needs a capability none of the profile's parts implements."""

    def __init__(self, capability: str, where: str) -> None:
        super().__init__(f"{where} needs {capability} ({describe(capability)}), which no part "
                         "of this profile provides; choose a profile whose parts do, or leave "
                         "it out of the scenario")
        self.capability = capability


def capabilities_of(part: object) -> frozenset[str]:
    """The capabilities a part kind claims by subclassing their protocols (and mypy checks
    it implements them); ``part`` may be the kind (its class) or a started part, so a
    profile's capabilities are known before anything starts."""
    kind = part if isinstance(part, type) else type(part)
    return frozenset(name for name, proto in CAPABILITIES.items() if proto in kind.__mro__)


def describe(capability: str) -> str:
    proto = CAPABILITIES.get(capability)
    doc = (proto.__doc__ or "").strip().split("\n")[0] if proto else ""
    return doc.rstrip(".:") or capability
