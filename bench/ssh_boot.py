"""How long the firmware takes to boot when the Pi is reached over SSH, beside the local Pi.

``python -m bench.ssh_boot`` builds two machines on one anvil, in one run: ``emulated-cold``
(the firmware a fresh local process, as ``emulated-pi`` boots it cold) and ``ssh-pi`` (plug
on through labgrid's NetworkPowerDriver to the emulated Shelly plug, the firmware started
detached over SSH on an OpenSSH server on 127.0.0.1, also a fresh interpreter). It powers each
on N times, alternating, and times from ``power_on`` to the rig receiving the firmware's
``booted`` checkpoint; a clean shutdown follows each boot. For ``ssh-pi`` the time
``power_on`` took (the plug switching and the SSH start) is recorded apart; its first boot
also connects and checks the Pi's Python (the medians hardly see it; ``samples_ms`` keeps the
order). This machine is noisy: compare the ratios of the same run. Writes
``bench/results/ssh_boot.json``; exit status 0 measured, 2 the measurement could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from bench.args import at_least
from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError
from rig.chain.node import Chain
from rig.hardware.ssh_host import SshHostError
from rig.harness.assemble import build_machine
from rig.harness.control import ControlError
from rig.harness.machine_rig import MachineRig
from rig.platform import deploy_platform

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "ssh_boot.json"
SCHEMA = "coffeepay-ssh-boot/1"
LOCAL = "emulated-cold"
BOOT_TIMEOUT = 60.0


def ssh_profile(directory: Path) -> Path:
    """``emulated-cold`` with ``[power] kind = "ssh-pi"`` (its defaults: local SSH server,
    emulated plug)."""
    doc = tomllib.loads((ROOT / "profiles" / f"{LOCAL}.toml").read_text())
    doc["profile"] = {"name": "ssh-pi", "description": "emulated-cold, the Pi over SSH"}
    doc["power"] = {"kind": "ssh-pi", "boot_seconds": doc["power"].get("boot_seconds", 0.0)}
    path = directory / "ssh-pi.toml"
    path.write_text(tomli_w.dumps(doc))
    return path


def boot_once(m: MachineRig) -> tuple[float, float]:
    """Power on, wait for ``booted``, shut down. Seconds from power-on to ``power_on``
    returning, and to the rig receiving ``booted``."""
    mark = m.control.mark()
    t0 = time.time()
    m.host.power_on()
    returned = time.time()
    booted = m.control.wait_for("booted", timeout=BOOT_TIMEOUT, after=mark)
    m.shutdown()
    return returned - t0, booted.at - t0


def summary(samples: list[float]) -> dict[str, Any]:
    ms = [round(s * 1000, 1) for s in samples]
    return {"n": len(ms), "mean_ms": round(statistics.fmean(ms), 1),
            "median_ms": round(statistics.median(ms), 1), "min_ms": min(ms), "max_ms": max(ms),
            "samples_ms": ms}


def run(boots: int, seed: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    times: dict[str, list[tuple[float, float]]] = {"local": [], "ssh": []}
    machines: dict[str, MachineRig] = {}
    with Anvil() as node:
        chain = Chain(node.url)
        try:
            for name, profile in (("local", LOCAL), ("ssh", str(ssh_profile(workdir)))):
                platform = deploy_platform(chain)        # one rental per machine
                machines[name] = build_machine(workdir / name, platform, rng, profile)
            for i in range(boots):
                order = ("local", "ssh") if i % 2 == 0 else ("ssh", "local")
                for name in order:
                    times[name].append(boot_once(machines[name]))
            described = machines["ssh"].describe_parts()["power"]
        finally:
            for m in machines.values():
                m.close()
    local = summary([b for _, b in times["local"]])
    ssh = summary([b for _, b in times["ssh"]])
    return {
        "schema": SCHEMA,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "what": "time from power_on to the rig receiving the firmware's booted checkpoint "
                "(a fresh interpreter each boot), boots alternating between the two machines",
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "local": {"profile": LOCAL, "to_booted": local},
        "ssh": {"profile": "emulated-cold with [power] kind = ssh-pi", "power": described,
                "to_booted": ssh,
                "power_on_returned": summary([r for r, _ in times["ssh"]])},
        "ratio": {"median": round(ssh["median_ms"] / local["median_ms"], 2),
                  "mean": round(ssh["mean_ms"] / local["mean_ms"], 2),
                  "of": "ssh / local, time to booted"},
        "extra_ms": {"median": round(ssh["median_ms"] - local["median_ms"], 1),
                     "of": "ssh - local, time to booted"},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ssh_boot",
                                 description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--boots", type=at_least(1), default=10,
                    help="boots of each machine (default 10)")
    ap.add_argument("--seed", type=int, default=1, help="the machines' seed (default 1)")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    args = ap.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="ssh-boot-") as tmp:
            doc = run(args.boots, args.seed, Path(tmp))
    except (ChainError, ControlError, TimeoutError, SshHostError) as e:
        print(f"bench.ssh_boot: could not measure: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    loc, ssh = doc["local"]["to_booted"], doc["ssh"]["to_booted"]
    print(f"power on to booted ({loc['n']} cold boots each, ms):  median   mean    min    max")
    for name, s in (("local emulated-pi", loc), ("ssh-pi", ssh)):
        print(f"  {name:<42}{s['median_ms']:>7.0f}{s['mean_ms']:>7.0f}{s['min_ms']:>7.0f}"
              f"{s['max_ms']:>7.0f}")
    ret = doc["ssh"]["power_on_returned"]
    print(f"  ssh-pi power_on itself (plug + SSH start)  {ret['median_ms']:>5.0f} median")
    print(f"ratio ssh / local: median {doc['ratio']['median']}, mean {doc['ratio']['mean']}")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
