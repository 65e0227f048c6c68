"""The `rig` command line.

Exit codes: 0 everything held, 1 an invariant was violated, 2 the rig itself failed
(infrastructure: chain unreachable, bad config, ...).
"""

from __future__ import annotations

import argparse
import json
import random
import sys

from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError
from rig.chain.node import Chain
from rig.demo.narrator import Narrator, euros
from rig.harness.control import ControlError

EXIT_OK, EXIT_VIOLATION, EXIT_INFRA = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rig", description="CoffeePay hardware-in-the-loop rig")
    sub = ap.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the machine's happy path, then the reconciled ledger")
    demo.add_argument("--chain-url", help="attach to this node instead of starting anvil")
    demo.add_argument("--json", action="store_true", help="print the ledger as JSON")
    demo.add_argument("--seed", type=int, help="the run's seed (default: chosen and shown)")
    demo.add_argument("--profile", default="emulated", help="hardware profile")
    demo.add_argument("--onchain", action="store_true",
                      help="only the contracts: one rental's on-chain life, no firmware")
    return ap


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
        return {"demo": _demo}[args.command](args)
    except (ChainError, ControlError, TimeoutError, OSError) as e:
        print(f"rig: infrastructure error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_INFRA


if __name__ == "__main__":
    sys.exit(main())
