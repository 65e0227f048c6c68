"""The `rig` command line.

Exit codes: 0 every scenario passed; 1 a verdict against the firmware: a scenario was
violated (an invariant broke), failed (a step's expectation) or inconclusive (what it exists
to prove stayed undecided); 2 the rig itself could not do its job: a wrong configuration
(profile, scenario file, unreachable --chain-url; checked once before anything runs, one
line, nothing run) or a rig error mid-run (retried once).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
from pathlib import Path
from typing import Any

from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError
from rig.chain.node import Chain
from rig.demo.narrator import Narrator, euros
from rig.harness.control import ControlError
from rig.hosts import Hosts, load_hosts
from rig.hosts.xdist import tx_args
from rig.preflight import ConfigError, check_run
from rig.report.errors import NoResultsError, ReportError

EXIT_OK, EXIT_VIOLATION, EXIT_INFRA = 0, 1, 2
DEFAULT_RERUNS = 3
ROOT = Path(__file__).resolve().parents[1]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rig", description="CoffeePay hardware-in-the-loop rig")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run scenarios (default: all of scenarios/) and check "
                                     "every invariant")
    run.add_argument("scenarios", nargs="*", help="scenario files (default: scenarios/)")
    _run_options(run)
    replay = sub.add_parser("replay", help="run again from a run seed or a saved run record")
    replay.add_argument("seed_or_file", help="a run seed, or a run record (.json) from a report")
    replay.add_argument("scenarios", nargs="*", help="scenario files (default: the record's)")
    _run_options(replay, seed=False)
    sub.add_parser("faults", help="the fault catalog with parameters")
    check = sub.add_parser("selfcheck", help="run a sample of scenarios twice from one seed and "
                                             "compare what the seed decides "
                                             "(docs/determinism.md)")
    check.add_argument("scenarios", nargs="*", help="scenario files (default: a sample of "
                                                    "scenarios/)")
    check.add_argument("--sample", type=_count, default=2, metavar="K",
                       help="how many scenarios of scenarios/ to check (default 2)")
    check.add_argument("--seed", type=int, help="the run's seed (default: chosen and shown)")
    check.add_argument("--profile", help="hardware profile (default: each scenario's own)")
    check.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    hosts = sub.add_parser("hosts", help="reach the hosts of a hosts.toml and print the pytest "
                                         "arguments that spread a run over them")
    hosts.add_argument("file", help="the hosts file (docs/hosts.md)")
    doc = sub.add_parser("doctor", help="check that every part of a profile and the chain "
                                        "answer, through the drivers a run uses")
    doc.add_argument("--profile", default="emulated", help="hardware profile (a name under "
                                                            "profiles/ or a TOML path)")
    doc.add_argument("--chain-url", help="the node to check (default: start a local anvil)")
    doc.add_argument("--chain-id", type=int, help="the chain id the node must report")
    fleet = sub.add_parser("fleet", help="many machines on one chain through a simulated "
                                         "office day, with faults; every channel checked")
    _fleet_options(fleet)
    serve = sub.add_parser("serve", help="open a finished fleet run's record (fleet.json) on "
                                         "the live page")
    serve.add_argument("record", help="the fleet.json a `rig fleet` run wrote")
    serve.add_argument("--port", type=_count, default=8080, help="(default 8080; 0: any)")
    rep = sub.add_parser("report", help="render a results directory to one HTML file")
    rep.add_argument("dir", nargs="?", default="reports", help="the --report directory")
    demo = sub.add_parser("demo", help="the machine's happy path, then the reconciled ledger")
    demo.add_argument("--chain-url", help="attach to this node instead of starting anvil")
    demo.add_argument("--json", action="store_true", help="print the ledger as JSON")
    demo.add_argument("--seed", type=int, help="the run's seed (default: chosen and shown)")
    demo.add_argument("--profile", default="emulated", help="hardware profile")
    demo.add_argument("--onchain", action="store_true",
                      help="only the contracts: one rental's on-chain life, no firmware")
    return ap


def _run_options(p: argparse.ArgumentParser, seed: bool = True) -> None:
    if seed:
        p.add_argument("--seed", type=int, help="the run's seed (default: chosen and shown)")
    p.add_argument("--profile", help="hardware profile (default: each scenario's own)")
    p.add_argument("--chain-url", help="attach to this node instead of starting anvil")
    p.add_argument("--report", metavar="DIR", help="write Allure results and an HTML report")
    p.add_argument("--defect", action="append", default=[],
                   help="switch on a firmware defect (the rig must catch it)")
    p.add_argument("-n", "--workers", type=int, default=0,
                   help="spread scenarios over N pytest-xdist workers (one anvil each)")
    p.add_argument("--hosts", metavar="FILE",
                   help="spread scenarios over the hosts of a hosts.toml, by SSH (pytest-xdist "
                        "workers; docs/hosts.md)")
    p.add_argument("--reruns", type=_count, default=DEFAULT_RERUNS, metavar="N",
                   help="re-run each failed scenario N times from its seed and classify it "
                        f"reproducible or intermittent (default {DEFAULT_RERUNS}; 0: never)")


def _fleet_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--machines", type=_count, default=10, help="how many (default 10)")
    p.add_argument("--seed", type=int, help="the fleet's seed (default: chosen and shown)")
    p.add_argument("--employees", type=_count, default=40,
                   help="employees per office (default 40, the paper's)")
    p.add_argument("--threshold", type=float, default=5.0,
                   help="redeem policy: unredeemed EUR that triggers a redeem (default 5)")
    p.add_argument("--interval", type=float, default=3600.0,
                   help="redeem policy: seconds between redeems (default 3600)")
    p.add_argument("--power-share", type=float, default=0.10,
                   help="share of machines that lose power once (default 0.1)")
    p.add_argument("--partition-share", type=float, default=0.10,
                   help="share of machines cut off from the chain for hours (default 0.1)")
    p.add_argument("--partition-hours", type=float, default=3.0, help="(default 3)")
    p.add_argument("--node-restarts", type=_count, default=1, help="(default 1)")
    p.add_argument("--reorgs", type=_count, default=2, help="(default 2)")
    p.add_argument("--no-faults", action="store_true", help="a day without faults")
    p.add_argument("--policies", metavar="T:I,...",
                   help="run the day once per redeem policy (threshold EUR:interval s, e.g. "
                        "1:900,5:3600,20:14400), chart cost per year against money at risk "
                        "and recommend one")
    p.add_argument("--serve", type=_count, metavar="PORT",
                   help="show the fleet live on a local web page at this port (0: any)")
    p.add_argument("--max-at-risk", type=float, default=10.0,
                   help="with --policies: EUR a machine may hold unredeemed, its peak averaged "
                        "over the fleet (default 10)")
    p.add_argument("--chain-url", help="attach to this node instead of starting anvil")
    p.add_argument("--shard", metavar="I/K", default="1/1",
                   help="run only shard I of K of the fleet (every K-th machine, with their "
                        "customers and faults), on a chain of its own (docs/fleet.md)")
    p.add_argument("--out", metavar="DIR", default="build/fleet",
                   help="where the run's histories and fleet.json go (default build/fleet)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 or more")
    return value


def pytest_argv(scenarios: list[str], run_seed: int, args: argparse.Namespace,
                hosts: Hosts | None = None) -> list[str]:
    """pytest's command line for a run. The rig's plugin and the project's pytest settings
    are named explicitly: a scenario file outside the repository (say in /tmp) finds
    neither the root conftest nor pyproject.toml by itself. Each value is joined to its
    option with ``=``; spread over ``hosts`` the scenarios are named by ``--rig-path`` (both:
    rig/pytestplugin/hosts.py)."""
    paths = scenarios or ["scenarios"]
    argv = [*([f"--rig-path={Path(p).resolve()}" for p in paths] if hosts else paths),
            "-v", "-p", "no:cacheprovider", "-p", "rig.pytestplugin",
            f"--rig-seed={run_seed}", "-o", "console_output_style=classic"]
    if hosts:
        argv += tx_args(hosts)
    elif (ROOT / "pyproject.toml").is_file():
        argv.append(f"--config-file={ROOT / 'pyproject.toml'}")
    if args.profile:
        argv.append(f"--profile={args.profile}")
    if args.chain_url:
        argv.append(f"--chain-url={args.chain_url}")
    argv += [f"--defect={d}" for d in args.defect]
    reruns = getattr(args, "reruns", 0)
    if reruns:
        argv.append(f"--rig-reruns={reruns}")
    if args.workers:
        argv.append(f"--numprocesses={args.workers}")
    if args.report:
        argv += [f"--alluredir={Path(args.report) / 'allure-results'}", "--clean-alluredir"]
    return argv


def _pytest_run(scenarios: list[str], run_seed: int, args: argparse.Namespace) -> int:
    """Scenarios run as pytest items, so `make rig`, the CLI and CI share one path."""
    import pytest

    try:   # once, before anything runs: a bad configuration is one line, not N failures
        hosts = _hosts(args)
        check_run(scenarios, args.profile, args.chain_url,
                  sharers=hosts.workers if hosts else max(1, args.workers))
    except ConfigError as e:
        print(f"rig: configuration error: {e}", file=sys.stderr)
        return EXIT_INFRA
    argv = pytest_argv(scenarios, run_seed, args, hosts)
    print(f"rig run: seed {run_seed} (replay: rig replay {run_seed}"
          f"{' ' + ' '.join(scenarios) if scenarios else ''})", flush=True)
    code = int(pytest.main(argv))
    if args.report:
        _render(Path(args.report))
    return {0: EXIT_OK, 1: EXIT_VIOLATION}.get(code, EXIT_INFRA)


def _hosts(args: argparse.Namespace) -> Hosts | None:
    """The ``--hosts`` file, every host reached and ready (rig.hosts.check)."""
    if not getattr(args, "hosts", None):
        return None
    if args.workers:
        raise ConfigError("give either -n (workers on this machine) or --hosts (workers on "
                          "the hosts file's machines), not both")
    from rig.hosts.check import check_hosts

    hosts = load_hosts(args.hosts)
    print(f"rig run: {hosts.workers} worker(s) on {len(hosts.hosts)} host(s) "
          f"({args.hosts})", flush=True)
    check_hosts(hosts)
    return hosts


def _hosts_command(args: argparse.Namespace) -> int:
    """Check the hosts (to stderr); print pytest's arguments for them (to stdout), e.g. for
    ``make nightly-property HOSTS=hosts.toml``. The ``COFFEEPAY_*`` settings of this
    environment go along to the workers (rig.hosts.xdist)."""
    import shlex

    from rig.hosts.check import check_hosts

    try:
        hosts = load_hosts(args.file)
        check_hosts(hosts, say=lambda line: print(line, file=sys.stderr))
    except ConfigError as e:
        print(f"rig: configuration error: {e}", file=sys.stderr)
        return EXIT_INFRA
    print(" ".join(shlex.quote(a) for a in tx_args(hosts)))
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    """One line per part and the chain, OK or FAIL with what to fix; exit 0 only if all OK."""
    from rig.doctor import examine, format_finding
    from rig.hardware import ProfileError, load_profile

    try:
        profile = load_profile(args.profile)
    except ProfileError as e:
        print(f"rig: configuration error: {e}", file=sys.stderr)
        return EXIT_INFRA
    print(f"rig doctor: profile {profile.name!r} ({profile.source})", flush=True)
    findings = examine(profile, args.chain_url, args.chain_id,
                       say=lambda f: print(format_finding(f), flush=True))
    failed = [f.part for f in findings if not f.ok]
    print(f"rig doctor: {len(findings) - len(failed)} OK, {len(failed)} FAIL"
          + (f" ({', '.join(failed)})" if failed else ""))
    return EXIT_OK if findings and not failed else EXIT_VIOLATION


def _render(report_dir: Path) -> None:
    from rig.report.html import render_html
    from rig.report.summary import print_summary
    from rig.report.trend import keep_history

    results = report_dir / "allure-results"
    if not results.is_dir():
        raise NoResultsError(f"{results}: no such results directory (run `rig run --report "
                             f"{report_dir}` first)")
    trend = keep_history(results, report_dir)       # before rendering: flaky flags, history
    html = render_html(results, report_dir, history_dir=trend.allure_history)
    print_summary(results)
    print(f"report: {html}")


def _run(args: argparse.Namespace) -> int:
    from rig.scenario.seeds import new_run_seed

    seed = args.seed if args.seed is not None else new_run_seed()
    return _pytest_run(args.scenarios, seed, args)


def _replay(args: argparse.Namespace) -> int:
    what = args.seed_or_file
    if what.isdigit():
        return _pytest_run(args.scenarios, int(what), args)
    record = json.loads(Path(what).read_text())
    scenarios = args.scenarios or [record["scenario_file"]]
    return _pytest_run(scenarios, int(record["run_seed"]), args)


def _selfcheck(args: argparse.Namespace) -> int:
    from rig.preflight import scenario_files
    from rig.scenario.determinism import sample, selfcheck
    from rig.scenario.seeds import new_run_seed

    seed = args.seed if args.seed is not None else new_run_seed()
    try:
        check_run(args.scenarios, args.profile, None)
    except ConfigError as e:
        print(f"rig: configuration error: {e}", file=sys.stderr)
        return EXIT_INFRA
    paths = [Path(p) for p in args.scenarios] if args.scenarios else \
        sample(scenario_files([str(ROOT / "scenarios")]), args.sample, seed)
    print(f"rig selfcheck: seed {seed}, {len(paths)} scenario(s), each run twice", flush=True)
    checks = selfcheck(paths, seed, args.profile, progress=lambda t: print(t, flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": seed, "checks": [
            c.to_json() for c in checks]}, indent=1) + "\n")
    differ = [c for c in checks if not c.ok and not c.broke]
    broke = [c for c in checks if c.broke]
    print(f"{len(checks)} checked: {len(checks) - len(differ) - len(broke)} reproduced what "
          f"the seed decides, {len(differ)} differ, {len(broke)} hit a rig error")
    return EXIT_VIOLATION if differ else EXIT_INFRA if broke else EXIT_OK


def _faults(args: argparse.Namespace) -> int:
    from rig.faults import catalog

    rows = catalog()
    width = max(len(r["kind"]) for r in rows)
    family = None
    for r in rows:
        if r["family"] != family:
            family = r["family"]
            print(f"\n{family}")
        print(f"  {r['kind']:<{width}}  {r['description']}")
        if r["parameters"]:
            print(f"  {'':<{width}}  parameters: {r['parameters']}")
    return EXIT_OK


def fleet_options(args: argparse.Namespace, seed: int) -> Any:
    """The FleetOptions of a `rig fleet` command line (ValueError: a setting out of range)."""
    from rig.fleet import FleetFaults, FleetOptions, OfficeDay, RedeemPolicy
    from rig.fleet.shard import Shard
    from rig.platform.deploy import CREDIT

    faults = FleetFaults.none() if args.no_faults else FleetFaults(
        power_share=args.power_share, partition_share=args.partition_share,
        partition_hours=args.partition_hours, node_restarts=args.node_restarts,
        reorgs=args.reorgs)
    return FleetOptions(machines=args.machines, seed=seed,
                        day=OfficeDay(employees=args.employees), faults=faults,
                        policy=RedeemPolicy(round(args.threshold * CREDIT), args.interval),
                        chain_url=args.chain_url, workdir=Path(args.out), keep=True,
                        shard=Shard.parse(args.shard))


def _fleet(args: argparse.Namespace) -> int:
    from rig.fleet.limits import FleetLimitError, ensure_open_files
    from rig.fleet.report import render, summarize
    from rig.fleet.tradeoff import PolicyError, parse_policies, sweep
    from rig.fleet.workdir import FleetWorkdirError, fresh_workdir

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    try:
        opts = fleet_options(args, seed)
        ensure_open_files(len(opts.indices))
        fresh_workdir(Path(args.out))
    except (ValueError, FleetLimitError, FleetWorkdirError) as e:
        print(f"rig fleet: {e}", file=sys.stderr)
        return EXIT_INFRA
    print(f"fleet seed {seed}; replay: {opts.replay}", flush=True)
    out = Path(args.out)
    if args.policies:
        try:
            policies = parse_policies(args.policies)
        except PolicyError as e:
            print(f"rig fleet: {e}", file=sys.stderr)
            return EXIT_INFRA
        summary = sweep(opts, policies, out, args.max_at_risk, observer=_progress)
        best = summary["recommended"]
        print(f"recommended: {best['policy'] if best else 'none fits'} ({summary['rule']}); "
              f"chart {summary['chart']}")
    else:
        summary = summarize(_fleet_run(opts, args.serve))
        print(render(summary))
    out.mkdir(parents=True, exist_ok=True)
    (out / "fleet.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {out / 'fleet.json'}")
    return {"passed": EXIT_OK, "violated": EXIT_VIOLATION,
            "inconclusive": EXIT_VIOLATION}.get(summary["outcome"], EXIT_INFRA)


def _progress(view: dict[str, Any]) -> None:
    """One line per simulated hour (and per phase change): a long fleet run is not silent."""
    clock, phase = view.get("clock", ""), view.get("phase", "")
    if phase == "day" and not clock.endswith(":00"):
        return
    machines = view.get("machines", [])
    served = sum(m.get("served") or 0 for m in machines)
    owed = sum(m.get("owed_eur") or 0 for m in machines)
    dark = sum(not m.get("powered") for m in machines)
    offline = sum(not m.get("online") for m in machines)
    print(f"  {phase:<9} {clock:>5}  {served:>7} coffees served  {owed:>9.2f} EUR at risk  "
          f"{dark} dark, {offline} offline", flush=True)


def _fleet_run(opts: Any, port: int | None) -> Any:
    """The fleet's day with a line per simulated hour, shown live on a local page when
    ``port`` is given."""
    from rig.fleet import run_fleet
    from rig.live import LiveBoard, LiveServer

    if port is None:
        return run_fleet(opts, observer=_progress)
    board = LiveBoard()
    server = LiveServer(board, port=port).start()
    print(f"live page: {server.url}", flush=True)

    def both(view: dict[str, Any]) -> None:
        board.publish(view)
        _progress(view)

    try:
        return run_fleet(opts, observer=both)
    finally:
        server.stop()


def _serve(args: argparse.Namespace) -> int:
    from rig.live import LiveBoard, LiveServer
    from rig.live.record import RecordError, record_view

    try:
        view = record_view(json.loads(Path(args.record).read_text()), args.record)
    except (OSError, ValueError, KeyError) as e:   # RecordError and bad JSON are ValueErrors
        kind = "" if isinstance(e, RecordError) else f"{type(e).__name__}: "
        print(f"rig serve: {kind}{e}", file=sys.stderr)
        return EXIT_INFRA
    board = LiveBoard()
    board.publish(view)
    server = LiveServer(board, port=args.port).start()
    print(f"live page: {server.url} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    _render(Path(args.dir))
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from rig.demo import machine, onchain

    narrator = Narrator(out=sys.stderr if args.json else sys.stdout)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    node = None if args.chain_url else Anvil().start()
    try:
        chain = Chain(args.chain_url or node.url)  # type: ignore[union-attr]
        if args.onchain:
            ledger = onchain.run(chain, narrator)
            ok = ledger["conserved"]
        else:
            narrator.step("seed chosen", seed=seed, replay=f"rig demo --seed {seed}")
            ledger = machine.run(chain, narrator, seed, args.profile)
            ok = ledger["reconciled"]
    finally:
        if node is not None:
            node.stop()
    if args.json:
        print(json.dumps({"seed": seed, "steps": narrator.steps, "ledger": ledger}, indent=2,
                         default=_jsonable))
    elif args.onchain:
        print("\nledger (credits)")
        for key in ("deposit", "redeemed", "refunded", "locked"):
            print(f"  {key:<10} {euros(ledger[key]):>10}")
        print(f"  conserved: {ledger['conserved']}")
    else:
        _print_ledger(ledger)
    return EXIT_OK if ok else EXIT_VIOLATION


def _jsonable(o: object) -> object:
    if isinstance(o, bytes | bytearray):
        return "0x" + bytes(o).hex()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def _print_ledger(ledger: dict) -> None:
    print("\nledger of the channel (credits, from ground truth)")
    rows = [("deposit (D)", ledger["deposit"]), ("signed by phones, max (S)",
                                                 ledger["signed_max"]),
            ("redeemed to the payee (P)", ledger["redeemed"]),
            ("refunded to the customer (R)", ledger["refunded"]),
            ("still locked (L)", ledger["locked"]),
            (f"dispensed: {ledger['dispensed']} coffees", ledger["dispensed_value"]),
            ("credits owed by the machine (C)", ledger["credits"])]
    for name, value in rows:
        print(f"  {name:<34} {euros(value):>10}")
    print("\ninvariants")
    for name, held in ledger["verdicts"].items():
        print(f"  {'held    ' if held else 'VIOLATED'} {name}")
    print(f"\nreconciled: {ledger['reconciled']}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"demo": _demo, "run": _run, "replay": _replay, "faults": _faults,
                "report": _report, "selfcheck": _selfcheck,
                "hosts": _hosts_command, "doctor": _doctor, "fleet": _fleet,
                "serve": _serve}[args.command](args)
    except (ChainError, ControlError, TimeoutError, OSError, ReportError) as e:
        print(f"rig: infrastructure error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_INFRA


if __name__ == "__main__":
    sys.exit(main())
