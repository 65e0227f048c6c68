"""The environment the firmware's process needs from the parts, wherever it is started.

A part may need the firmware started with environment of its own (umockdev's preload for
an emulated /dev/i2c-N), and such a part may hide the other parts' device nodes unless it is
told them; the machine rig and ``rig doctor`` both start the firmware's code through this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rig.hardware.protocols import FirmwareEnvironment, SharesDevices


def device_nodes(parts: Mapping[str, Any]) -> list[str]:
    """The /dev nodes the firmware opens for the reader (nfcpy's ``tty:NAME:DRIVER`` is
    /dev/NAME, or /dev/ttyNAME for the S/ACM/AMA/USB short forms) and the brew board."""
    nodes = []
    device = str(parts["nfc"].config().get("device", "")) if "nfc" in parts else ""
    if device.startswith("tty:") and device.count(":") >= 2:
        name = device.split(":")[1]
        nodes.append(f"/dev/{name}" if name.startswith("tty") else f"/dev/tty{name}")
    port = str(parts["brew"].config().get("port", "")) if "brew" in parts else ""
    if port.startswith("/dev/"):
        nodes.append(port)
    return nodes


def firmware_environment(parts: Mapping[str, Any]) -> dict[str, str]:
    """Every part's environment for the firmware, once each has been told the others'
    device nodes."""
    nodes = device_nodes(parts)
    env: dict[str, str] = {}
    for part in parts.values():
        if isinstance(part, SharesDevices):
            part.share_devices(nodes)
        if isinstance(part, FirmwareEnvironment):
            env.update(part.firmware_env())
    return env
