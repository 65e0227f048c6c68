"""``rig doctor --profile P``: is every part of the profile there and answering?

Starts the profile's parts as a run would, then asks through the same code paths a run uses:
the firmware's own self-test on the firmware host (``python -m firmware.selftest``: the
reader through nfcpy, the sensor chips through the I2C driver, the brew board over serial),
each part's own probe where it has one (the plug's relay, SSH to the Pi and its Python), and
the chain (it answers, with the expected chain id and what the contracts need). One line per
finding, OK or FAIL with what to fix; exit 0 only if all are OK.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from rig.hardware import PartContext, Profile, create_part
from rig.hardware.firmware_env import firmware_environment
from rig.hardware.profile import PARTS
from rig.hardware.protocols import Diagnosable, Finding, FirmwareTools

SELFTEST = "firmware.selftest"
_SELFTEST_ARGS = {"nfc": ("--nfc", "device"), "sensors": ("--sensors", "bus"),
                  "brew": ("--brew", "port")}


def examine(profile: Profile, chain_url: str | None = None, chain_id: int | None = None,
            say: Callable[[Finding], None] = lambda f: None) -> list[Finding]:
    """Every finding for the profile's parts and the chain, each passed to ``say`` as it
    comes (a slow SSH probe should not hide the lines before it)."""
    findings: list[Finding] = []

    def add(new: list[Finding]) -> None:
        for f in new:
            findings.append(f)
            say(f)

    workdir = Path(tempfile.mkdtemp(prefix="rig-doctor-"))
    parts: dict[str, object] = {}
    try:
        ctx = PartContext(workdir, workdir, random.Random(0))
        for name in PARTS:
            try:
                parts[name] = create_part(name, profile.kind(name), ctx,
                                          **profile.params(name))
            except Exception as e:   # a part that cannot start is the finding
                add([Finding(name, False, f"{profile.kind(name)}: {type(e).__name__}: {e}",
                             f"check [{name}] in {profile.source}")])
        for part in parts.values():
            if isinstance(part, Diagnosable):
                add(part.probe())
        add(_selftest(parts))
        add(_chain(chain_url, chain_id))
    finally:
        for part in reversed(list(parts.values())):
            with contextlib.suppress(Exception):
                part.close()  # type: ignore[attr-defined]
        shutil.rmtree(workdir, ignore_errors=True)
    return findings


def _selftest(parts: dict[str, object]) -> list[Finding]:
    """The firmware's self-test, run on the firmware host with the firmware's environment."""
    host = parts.get("power")
    if not isinstance(host, FirmwareTools):
        return [Finding("power", False, "the firmware host cannot run the firmware's tools",
                        "use a power part kind that is a firmware host")]
    env = firmware_environment(parts)
    args: list[str] = []
    for name, (flag, key) in _SELFTEST_ARGS.items():
        part = parts.get(name)
        if part is not None:
            args += [flag, str(part.config()[key])]  # type: ignore[attr-defined]
    if env:
        host.set_env(env)  # type: ignore[attr-defined]
    if not args:
        return []
    try:
        rc, out = host.run_tool(SELFTEST, args, timeout=60.0)
    except Exception as e:   # the host could not run it: that is the finding
        return [Finding("firmware", False, f"the self-test could not run on the firmware "
                                           f"host: {type(e).__name__}: {e}",
                        "make the firmware host reachable first (see the power line)")]
    found = []
    for line in out.splitlines():
        with contextlib.suppress(ValueError, TypeError, KeyError):
            d = json.loads(line)
            found.append(Finding(d["part"], bool(d["ok"]), d["detail"], d.get("fix", "")))
    if not found:
        tail = " | ".join(out.strip().splitlines()[-3:]) or "no output"
        found.append(Finding("firmware", False, f"the self-test did not run (exit {rc}): "
                                                f"{tail}",
                             "deploy the firmware and its Python packages to the host"))
    return found


def _chain(url: str | None, chain_id: int | None) -> list[Finding]:
    from rig.chain.anvil import Anvil
    from rig.chain.compat import check_node
    from rig.chain.errors import ChainError
    from rig.chain.node import Chain

    node = None if url else Anvil()
    where = url or "a local anvil started by the rig"
    try:
        if node is not None:
            node.start()
        c = Chain(url or node.url)  # type: ignore[union-attr]
        check_node(c)
        if chain_id is not None and c.chain_id != chain_id:
            return [Finding("chain", False, f"{where} reports chain id {c.chain_id}, not "
                                            f"{chain_id}",
                            "point --chain-url at the chain the machines use")]
        return [Finding("chain", True, f"{where}: {c.client_version}, chain id {c.chain_id}, "
                                       f"block {c.block_number}")]
    except (ChainError, OSError) as e:
        return [Finding("chain", False, f"{where}: {e}",
                        "start the node, or fix --chain-url" if url else
                        "run `make deps` (npm installs anvil)")]
    finally:
        if node is not None:
            node.stop()


def format_finding(f: Finding) -> str:
    line = f"{'OK  ' if f.ok else 'FAIL'}  {f.part:<8} {f.detail}"
    return line if f.ok or not f.fix else f"{line}\n      fix: {f.fix}"
