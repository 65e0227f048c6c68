"""Would pull payments make a warm redeem cheap enough? Measured, not estimated.

``python -m bench.pull_payments`` builds two candidates of ``contracts/src`` beside today's
contracts and measures each with ``bench.gas`` on its own anvil:

- **pull**: ``redeem`` credits the payee inside the PaymentProvider (``withdrawable``) and
  the payee withdraws in batches, instead of a token transfer per redeem;
- **pull, unguarded**: the same, and ``redeem`` without its reentrancy guard (it no longer
  calls out, so nothing can re-enter).

It writes ``bench/results/pull_payments.json`` (gas per operation, side by side, and the
ratio to today) and exits 0 when a candidate's warm redeems meet ``TARGET`` gas, 1 when none
does, 2 when the measurement could not run. The candidates are built from patched copies in a
temporary directory; ``contracts/src`` is never touched.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.gas import WARM_REDEEMS, measure
from contracts import CompileError
from contracts.artifacts import load_artifacts
from contracts.build import SRC, compile_contracts
from rig.chain.anvil import Anvil
from rig.chain.errors import ChainError
from rig.chain.node import Chain

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "pull_payments.json"
TARGET = 45_000
OPERATIONS = ("redeem_first", *WARM_REDEEMS, "erc20_transfer")
PUSH = "        _pay(payee, amount);\n"
PULL = "        withdrawable[payee] += amount;\n"
GUARDED = "    ) external nonReentrant {\n        Channel storage ch = _channel(channelId);\n" \
    "        Status status = ch.status;"
UNGUARDED = GUARDED.replace(" nonReentrant", "")
CANDIDATES: dict[str, tuple[tuple[str, str], ...]] = {
    "today (push)": (),
    "pull": ((PUSH, PULL),),
    "pull, unguarded redeem": ((PUSH, PULL), (GUARDED, UNGUARDED)),
}


class PatchError(RuntimeError):
    """A candidate's patch no longer matches PaymentProvider.sol (the contract changed)."""


def _source(tmp: Path, name: str, patches: tuple[tuple[str, str], ...]) -> Path:
    src = tmp / name.replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
    shutil.copytree(SRC, src)
    target = src / "PaymentProvider.sol"
    text = target.read_text()
    for old, new in patches:
        if text.count(old) != 1:
            raise PatchError(f"candidate {name!r}: expected exactly one {old.strip()!r} in "
                             f"{target.name}, found {text.count(old)}")
        text = text.replace(old, new)
    target.write_text(text)
    return src


def run() -> dict[str, Any]:
    results: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="coffeepay-pull-") as tmp:
        for name, patches in CANDIDATES.items():
            src = _source(Path(tmp), name, patches)
            arts = load_artifacts(path=compile_contracts(src_dir=src, cache_dir=Path(tmp) / "b"))
            with Anvil() as node:
                report = measure(Chain(node.url), artifacts=arts)
            results[name] = {op: report.gas(op) for op in OPERATIONS}
    today = results["today (push)"]
    return {
        "schema": "coffeepay-pull-payments/1", "target_warm_redeem_gas": TARGET,
        "gas": results,
        "ratio_to_today": {name: {op: round(g[op] / today[op], 3) for op in OPERATIONS}
                           for name, g in results.items()},
        "meets_target": [name for name, g in results.items()
                         if all(g[op] <= TARGET for op in WARM_REDEEMS)],
    }


def main() -> int:
    try:
        doc = run()
    except (PatchError, CompileError, ChainError) as e:
        print(f"bench.pull_payments: could not measure: {e}", file=sys.stderr)
        return 2
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=1) + "\n")
    width = max(map(len, doc["gas"]))
    print(f"{'candidate':<{width}}  " + "  ".join(f"{op:>20}" for op in OPERATIONS))
    for name, g in doc["gas"].items():
        print(f"{name:<{width}}  " + "  ".join(f"{g[op]:>20,}" for op in OPERATIONS))
    print(f"warm redeem target {TARGET:,} gas met by: {doc['meets_target'] or 'none'}")
    print(f"wrote {RESULTS}")
    return 0 if doc["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
