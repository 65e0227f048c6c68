"""How long a user waits from tapping the phone to the coffee starting, against paying on-chain.

``python -m bench.tap_to_serve`` (``make bench``) measures, in one run:

1. the machine: its own anvil (automine), the platform, an emulated machine booted with an
   SD card that really fsyncs; N taps by the phones in turn with the products cycling, all
   served. The firmware times each tap's phases itself and reports them in the ``tap-done``
   checkpoint, so the numbers are what the machine saw, not rig overhead;
2. the baseline a user would otherwise pick: one ERC-20 transfer per coffee on an anvil that
   mines a block every second, timed from sending the signed transaction to its receipt. Each
   payment starts at a seeded random moment within the block interval, as a customer walking
   up does, so the latency is not pinned to just after (or just before) a block;
3. the ratios baseline / machine of the p50s and of the p99s.

Writes ``bench/results/tap_to_serve.json`` (every raw sample, the seed, versions, host facts)
and prints a table. Exit status: 0 measured, 2 the measurement could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform as host_platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.args import at_least
from contracts import CompileError, load_artifacts
from contracts.build import ROOT
from rig.chain.anvil import Anvil, AnvilOptions
from rig.chain.errors import ChainError
from rig.chain.node import Chain
from rig.chain.tx import Sender, error_table
from rig.harness.assemble import build_machine
from rig.harness.control import ControlError
from rig.harness.machine_rig import MachineRig
from rig.platform import Actors, deploy_platform
from rig.platform.deploy import CREDIT
from rig.platform.rental import RentalTerms

RESULTS = ROOT / "bench" / "results" / "tap_to_serve.json"
SCHEMA = "coffeepay-tap-to-serve/1"
PHASES = ("nfc", "checks", "signature_check", "durable_write", "brew_command", "tap_to_brew")
PROFILE = "emulated-cold"   # a fresh firmware process: its environment shows the real fsync
PHONES = 3
FSYNC_ENV = "COFFEEPAY_SD_FSYNC"
BASELINE_BLOCK_TIME = 1
TAP_TIMEOUT = 20.0


class BenchError(RuntimeError):
    """The benchmark's own sequence went wrong (a tap not served, a phase not reported)."""


# ----------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Summary:
    """Order statistics by nearest rank: every reported value is one that was measured."""

    n: int
    mean: float
    p50: float
    p99: float
    max: float


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (the smallest sample with at least p% of samples <= it)."""
    if not samples:
        raise BenchError("cannot take a percentile of no samples")
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {p}")
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def summarize(samples: list[float]) -> Summary:
    return Summary(len(samples), round(statistics.fmean(samples), 3),
                   percentile(samples, 50), percentile(samples, 99), max(samples))


def ratio(baseline: float, machine: float) -> float | None:
    """How many times longer the baseline waits; None when the machine took no time at all."""
    return round(baseline / machine, 3) if machine > 0 else None


# ----------------------------------------------------------------------------- the machine
@dataclass
class Tap:
    index: int
    phone: str
    product: int
    brew_id: int | None
    sequence: int | None
    timings_ms: dict[str, float]


@dataclass
class MachineRun:
    taps: list[Tap]
    real_fsync: bool
    sd_card: dict[str, Any]
    settings: dict[str, Any]
    prices: dict[int, int]

    def samples(self, phase: str) -> list[float]:
        return [t.timings_ms[phase] for t in self.taps]


def deposit_for(prices: dict[int, int], taps: int) -> int:
    """The channel deposit that pays exactly ``taps`` coffees with the products cycling."""
    products = sorted(prices)
    return sum(prices[products[i % len(products)]] for i in range(taps))


def measure_machine(chain: Chain, taps: int, seed: int, workdir: Path) -> MachineRun:
    """Boot a machine on ``chain`` (automine) and time ``taps`` served coffees."""
    if taps < 1:
        raise BenchError(f"need at least one tap, got {taps}")
    rng = random.Random(seed)
    base = RentalTerms()
    deposit = deposit_for(base.prices, taps)
    terms = RentalTerms(channel_deposit=deposit)
    spend = deposit + terms.rental_fee + terms.security_deposit
    p = deploy_platform(chain, customer_credits=spend + 1_000 * CREDIT)
    m = build_machine(workdir, p, rng, PROFILE, phones=PHONES, terms=terms)
    m.pi.extra_env[FSYNC_ENV] = "1"
    try:
        m.power_on()
        m.wait_synced()
        # Steady state: the first sync's check-in transaction is confirmed before timing.
        m.wait_until(lambda s: s["checked_in"] and not s["open_tx"], what="check-in confirmed")
        real_fsync = _process_env(m.pi.pid).get(FSYNC_ENV) == "1"
        served = [_one_tap(m, i, sorted(terms.prices)) for i in range(taps)]
        m.shutdown()
    finally:
        m.close()
    return MachineRun(served, real_fsync, _sd_card(workdir / "sdcard", real_fsync),
                      asdict(m.settings), dict(terms.prices))


def _one_tap(m: MachineRig, i: int, products: list[int]) -> Tap:
    phone, product = m.phones[i % len(m.phones)], products[i % len(products)]
    mark = m.control.mark()
    out = m.tap(phone, product=product, timeout=TAP_TIMEOUT)
    if out.verdict != "served":
        raise BenchError(f"tap {i + 1} ({phone.name}, product {product}) was not served: "
                         f"verdict {out.verdict!r}, reason {out.reason!r}")
    done = m.control.wait_for("tap-done", timeout=1.0, after=mark)
    timings = done.data.get("timings_ms", {})
    missing = [ph for ph in PHASES if ph not in timings]
    if missing:
        raise BenchError(f"tap {i + 1}: the firmware's tap-done checkpoint has no timing for "
                         f"{missing} (got {sorted(timings)})")
    return Tap(i + 1, phone.address, product, out.brew_id, out.sequence,
               {ph: float(timings[ph]) for ph in PHASES})


def _process_env(pid: int | None) -> dict[str, str]:
    """The environment the firmware process really started with (Linux /proc)."""
    if pid is None:
        return {}
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _sd_card(path: Path, real_fsync: bool) -> dict[str, Any]:
    """Where the card's files lived: an fsync on tmpfs would cost nothing and prove nothing."""
    return {"real_fsync": real_fsync, "env": f"{FSYNC_ENV}=1", "path": str(path),
            "host_filesystem": _filesystem(path)}


def _filesystem(path: Path) -> str:
    target = str(path.resolve())
    best, fstype = "", "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) < 3:
                continue
            mount = fields[1]
            inside = target == mount or target.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) > len(best):
                best, fstype = mount, fields[2]
    return fstype


# ----------------------------------------------------------------------------- the baseline
@dataclass
class Payment:
    index: int
    offset_ms: float      # how long after the previous receipt the payment started
    sign_ms: float        # building and signing locally, before the send
    latency_ms: float     # send -> receipt available
    block: int


@dataclass
class BaselineRun:
    payments: list[Payment]
    price: int
    block_time_s: float

    def samples(self) -> list[float]:
        return [pay.latency_ms for pay in self.payments]


def measure_baseline(chain: Chain, coffees: int, rng: random.Random, price: int,
                     block_time: float = BASELINE_BLOCK_TIME) -> BaselineRun:
    """Pay ``coffees`` coffees by CreditToken.transfer customer -> payee on ``chain``,
    which must mine a block every ``block_time`` seconds."""
    if coffees < 1:
        raise BenchError(f"need at least one baseline coffee, got {coffees}")
    actors = Actors.standard()
    arts = load_artifacts()
    sender = Sender(chain, error_table(a.abi for a in arts.values()))
    token = sender.deploy(actors.admin, arts["CreditToken"].abi, arts["CreditToken"].bytecode,
                          actors.admin.address)
    sender.transact(actors.admin, token.functions.mint(actors.customer.address,
                                                       coffees * price))
    payments = []
    for i in range(coffees):
        offset = rng.uniform(0.0, block_time)
        time.sleep(offset)
        t0 = time.perf_counter()
        raw = sender.sign(actors.customer, sender.build(
            actors.customer, token.functions.transfer(actors.payee.address, price)))
        t1 = time.perf_counter()
        receipt = chain.wait(chain.send_raw(raw), timeout=10 * block_time + 10)
        t2 = time.perf_counter()
        if receipt["status"] != 1:
            raise BenchError(f"baseline payment {i + 1} failed in tx "
                             f"{receipt['transactionHash'].to_0x_hex()}")
        payments.append(Payment(i + 1, round(offset * 1000, 3), round((t1 - t0) * 1000, 3),
                                round((t2 - t1) * 1000, 3), int(receipt["blockNumber"])))
    return BaselineRun(payments, price, block_time)


# ----------------------------------------------------------------------------- the report
def _summary_json(samples: list[float]) -> dict[str, Any]:
    return {**asdict(summarize(samples)), "samples_ms": samples}


def report(machine: MachineRun, baseline: BaselineRun, seed: int,
           environment: dict[str, Any]) -> dict[str, Any]:
    phases = {ph: _summary_json(machine.samples(ph)) for ph in PHASES}
    base = _summary_json(baseline.samples())
    m = phases["tap_to_brew"]
    return {
        "schema": SCHEMA,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "percentiles": "nearest rank over all samples; times in milliseconds",
        "environment": environment,
        "machine": {
            "what": "tap (NFC select) to the brew board acknowledging the brew command, as "
                    "timed by the firmware",
            "chain": "own anvil, automine",
            "profile": PROFILE,
            "phones": PHONES,
            "taps": len(machine.taps),
            "prices": {str(k): v for k, v in machine.prices.items()},
            "firmware_settings": machine.settings,
            "sd_card": machine.sd_card,
            "phases": phases,
            "per_tap": [asdict(t) for t in machine.taps],
        },
        "baseline": {
            "what": "ERC-20 CreditToken.transfer customer -> payee per coffee: signed "
                    "transaction sent -> receipt available",
            "chain": f"own anvil, --block-time {baseline.block_time_s}",
            "arrival": "each payment starts a seeded uniform random delay in "
                       "[0, block time) after the previous receipt",
            "coffees": len(baseline.payments),
            "price": baseline.price,
            "latency": base,
            "payments": [asdict(pay) for pay in baseline.payments],
        },
        "ratio": {"p50": ratio(base["p50"], m["p50"]), "p99": ratio(base["p99"], m["p99"]),
                  "of": "baseline latency / machine tap_to_brew"},
    }


def environment(anvil_version: str, real_fsync: bool) -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": host_platform.python_implementation(),
        "os": host_platform.platform(),
        "anvil": anvil_version,
        "sd_card_real_fsync": real_fsync,
        "coffeepay_rig": _package_version("coffeepay-rig"),
        "web3": _package_version("web3"),
        "apsw": _package_version("apsw"),
        "git_commit": _git_commit(),
    }


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=False, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def render(doc: dict[str, Any]) -> str:
    """A readable table of a report, from its JSON form (so a saved run renders too)."""
    env, mach, base = doc["environment"], doc["machine"], doc["baseline"]
    fsync = "real fsync" if mach["sd_card"]["real_fsync"] else "NO real fsync"
    lines = [
        f"Tap to serve  (seed {doc['seed']}, {env['cpu_count']} CPUs, Python {env['python']}, "
        f"{env['anvil']})",
        "",
        f"Machine: {mach['taps']} taps, {mach['phones']} phones, SD card {fsync} on "
        f"{mach['sd_card']['host_filesystem']}   (ms)",
        f"  {'phase':<18} {'n':>5} {'mean':>9} {'p50':>9} {'p99':>9} {'max':>9}",
    ]
    lines += [_row(phase, s) for phase, s in mach["phases"].items()]
    lines += ["", f"Baseline: {base['coffees']} ERC-20 transfers, {base['chain']}   (ms)",
              _row("send_to_receipt", base["latency"])]
    r = doc["ratio"]
    lines += ["", f"Baseline / machine tap_to_brew:  p50 {_x(r['p50'])}   p99 {_x(r['p99'])}"]
    return "\n".join(lines)


def _row(name: str, s: dict[str, Any]) -> str:
    return (f"  {name:<18} {s['n']:>5} {s['mean']:>9.2f} {s['p50']:>9.2f} {s['p99']:>9.2f} "
            f"{s['max']:>9.2f}")


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}x"


def write(doc: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(out)
    return out


# ----------------------------------------------------------------------------- entry point
@dataclass
class Options:
    taps: int = 200
    baseline_coffees: int = 20
    seed: int = 1
    out: Path = RESULTS
    workdir: Path | None = None


def run(opts: Options) -> dict[str, Any]:
    """Both measurements, one after the other so they do not compete for the CPU."""
    with contextlib.ExitStack() as stack:
        workdir = opts.workdir
        if workdir is None:
            # On the repository's disk, not /tmp: tmpfs would make fsync free.
            (ROOT / "build").mkdir(exist_ok=True)
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(
                prefix="tap-to-serve-", dir=ROOT / "build")))
        with Anvil() as node:
            anvil_version = node.version()
            machine = measure_machine(Chain(node.url), opts.taps, opts.seed,
                                      workdir / "machine")
    price = max(machine.prices.values())
    with Anvil(AnvilOptions(block_time=BASELINE_BLOCK_TIME)) as node:
        baseline = measure_baseline(Chain(node.url), opts.baseline_coffees,
                                    random.Random(f"baseline:{opts.seed}"), price)
    return report(machine, baseline, opts.seed, environment(anvil_version, machine.real_fsync))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tap_to_serve",
                                 description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--taps", type=at_least(1), default=200, help="machine taps (default 200)")
    ap.add_argument("--baseline-coffees", type=at_least(1), default=20,
                    help="ERC-20 payments on a 1 s block time chain (default 20)")
    ap.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where the machine's SD card lives (default: a temporary dir in build/)")
    args = ap.parse_args(argv)
    opts = Options(args.taps, args.baseline_coffees, args.seed, args.out, args.workdir)
    try:
        doc = run(opts)
    except (ChainError, CompileError, ControlError, TimeoutError, BenchError) as e:
        print(f"bench.tap_to_serve: could not measure: {e}", file=sys.stderr)
        return 2
    print(render(doc))
    print(f"\nwrote {write(doc, opts.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
