"""The `rig` command line.

Exit codes: 0 everything held, 1 an invariant was violated, 2 the rig itself failed
(infrastructure: chain unreachable, bad config, ...).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError
from rig.chain.node import Chain
from rig.demo.narrator import Narrator, euros
from rig.harness.control import ControlError
from rig.report.errors import ReportError

EXIT_OK, EXIT_VIOLATION, EXIT_INFRA = 0, 1, 2
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


def pytest_argv(scenarios: list[str], run_seed: int, args: argparse.Namespace) -> list[str]:
    """pytest's command line for a run. The rig's plugin and the project's pytest settings
    are named explicitly: a scenario file outside the repository (say in /tmp) finds
    neither the root conftest nor pyproject.toml by itself."""
    argv = [*(scenarios or ["scenarios"]), "-v", "-p", "no:cacheprovider",
            "-p", "rig.pytestplugin", "--rig-seed", str(run_seed),
            "-o", "console_output_style=classic"]
    if (ROOT / "pyproject.toml").is_file():
        argv += ["-c", str(ROOT / "pyproject.toml")]
    if args.profile:
        argv += ["--profile", args.profile]
    if args.chain_url:
        argv += ["--chain-url", args.chain_url]
    for d in args.defect:
        argv += ["--defect", d]
    if args.workers:
        argv += ["-n", str(args.workers)]
    if args.report:
        argv += ["--alluredir", str(Path(args.report) / "allure-results"),
                 "--clean-alluredir"]
    return argv


def _pytest_run(scenarios: list[str], run_seed: int, args: argparse.Namespace) -> int:
    """Scenarios run as pytest items, so `make rig`, the CLI and CI share one path."""
    import pytest

    argv = pytest_argv(scenarios, run_seed, args)
    print(f"rig run: seed {run_seed} (replay: rig replay {run_seed}"
          f"{' ' + ' '.join(scenarios) if scenarios else ''})", flush=True)
    code = int(pytest.main(argv))
    if args.report:
        _render(Path(args.report))
    return {0: EXIT_OK, 1: EXIT_VIOLATION}.get(code, EXIT_INFRA)


def _render(report_dir: Path) -> None:
    from rig.report.html import render_html
    from rig.report.summary import print_summary

    html = render_html(report_dir / "allure-results", report_dir)
    print_summary(report_dir / "allure-results")
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
                "report": _report}[args.command](args)
    except (ChainError, ControlError, TimeoutError, OSError, ReportError) as e:
        print(f"rig: infrastructure error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_INFRA


if __name__ == "__main__":
    sys.exit(main())
