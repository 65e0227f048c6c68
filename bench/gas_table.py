"""Readable tables of a gas report, rendered from its JSON form (so a saved run renders too)."""

from __future__ import annotations

from typing import Any


def _eur(x: float) -> str:
    return f"{x:,.2f}" if x >= 1 else f"{x:.6f}"


def render(doc: dict[str, Any]) -> str:
    env, target = doc["environment"], doc["target"]
    lines = [
        f"Gas per operation  ({env['node']}, hardfork {env['hardfork']}, solc {env['solc']}, "
        f"optimizer {env['optimizer']}, evm {env['evm_version']})",
        "",
        f"  {'operation':<30} {'gas':>9}  {'caller':<13} what",
    ]
    for name, op in doc["operations"].items():
        lines.append(f"  {name:<30} {op['gas']:>9,}  {op['caller']:<13} {op['what']}")

    model = doc["comparison"]["cost_model"]
    lines += [
        "",
        f"Per coffee: {model['gas_price_gwei']} gwei, ETH {model['eth_eur']} EUR "
        f"(1 gas = {model['eur_per_gas']:.4e} EUR), {model['coffees_per_machine_year']:,} "
        f"coffees/machine/year, {model['machines']:,} machines; channel lifecycle "
        f"({model['lifecycle']}) included",
        "",
        f"  {'method':<26} {'gas/tx':>8} {'gas/coffee':>11} {'EUR/coffee':>11} "
        f"{'EUR/fleet-year':>16} {'vs ERC-20':>10}",
    ]
    for r in doc["comparison"]["rows"]:
        lines.append(
            f"  {r['method']:<26} {r['gas_per_tx']:>8,} {r['gas_per_coffee']:>11,.1f} "
            f"{_eur(r['eur_per_coffee']):>11} {_eur(r['eur_per_fleet_year']):>16} "
            f"{r['ratio_to_erc20']:>9.3f}x")
    verdict = "met" if target["met"] else "MISSED"
    measured = ", ".join(f"{k} {v:,}" for k, v in target["measured"].items())
    lines += ["", f"Target: warm redeem <= {target['max_gas']:,} gas: {verdict} ({measured})"]
    return "\n".join(lines)
