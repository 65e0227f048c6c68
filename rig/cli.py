"""The `rig` command line.

Exit codes: 0 everything held, 1 an invariant was violated, 2 the rig itself failed
(infrastructure: chain unreachable, bad config, ...).
"""

from __future__ import annotations

import argparse
import json
import sys

from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError
from rig.chain.node import Chain
from rig.demo.narrator import Narrator, euros

EXIT_OK, EXIT_VIOLATION, EXIT_INFRA = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rig", description="CoffeePay hardware-in-the-loop rig")
    sub = ap.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="walk one rental through its life and print the ledger")
    demo.add_argument("--chain-url", help="attach to this node instead of starting anvil")
    demo.add_argument("--json", action="store_true", help="print the ledger as JSON")
    return ap


def _demo(args: argparse.Namespace) -> int:
    from rig.demo import onchain

    narrator = Narrator(out=sys.stderr if args.json else sys.stdout)
    node = None if args.chain_url else Anvil().start()
    try:
        chain = Chain(args.chain_url or node.url)  # type: ignore[union-attr]
        ledger = onchain.run(chain, narrator)
    finally:
        if node is not None:
            node.stop()
    if args.json:
        print(json.dumps({"steps": narrator.steps, "ledger": ledger}, indent=2))
    else:
        print("\nledger (credits)")
        for key in ("deposit", "redeemed", "refunded", "locked"):
            print(f"  {key:<10} {euros(ledger[key]):>10}")
        for who, delta in ledger["balances_change"].items():
            print(f"  {who:<13} {'+' if delta >= 0 else ''}{euros(delta)}")
        print(f"  conserved: {ledger['conserved']}")
    return EXIT_OK if ledger["conserved"] else EXIT_VIOLATION


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"demo": _demo}[args.command](args)
    except ChainError as e:
        print(f"rig: infrastructure error: {e}", file=sys.stderr)
        return EXIT_INFRA


if __name__ == "__main__":
    sys.exit(main())
