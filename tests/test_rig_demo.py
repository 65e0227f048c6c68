"""`rig demo`: the body of `make rig`, and its contracts-only form."""

from __future__ import annotations

import json
import subprocess
import sys


def test_machine_demo_reconciles_from_ground_truth():
    out = subprocess.run([sys.executable, "-m", "rig.cli", "demo", "--json", "--seed", "11"],
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    doc = json.loads(out.stdout)
    ledger = doc["ledger"]
    assert doc["seed"] == 11
    assert ledger["reconciled"] and all(ledger["verdicts"].values())
    oracle = ledger["oracle"]
    assert [v["id"] for v in oracle["verdicts"]] == [f"INV-{n}" for n in range(1, 11)]
    assert {v["outcome"] for v in oracle["verdicts"]} == {"ok"}, oracle["verdicts"]
    assert oracle["replay"] == "rig demo --seed 11"
    assert ledger["dispensed"] == 32 and ledger["signed_receipts"] == 32
    assert ledger["acknowledged_receipts"] == 32 and ledger["credits"] == 0
    assert ledger["redeemed"] == ledger["dispensed_value"] == ledger["signed_max"] \
        == ledger["acknowledged_max"]
    assert ledger["deposit"] == ledger["redeemed"] + ledger["refunded"]
    assert ledger["locked"] == 0
    whats = " | ".join(s["what"] for s in doc["steps"])
    for step in ("checked in", "offline", "redeemed", "service ticket", "service paid",
                 "settled"):
        assert step in whats


def test_onchain_demo_json_ledger_reconciles():
    out = subprocess.run([sys.executable, "-m", "rig.cli", "demo", "--onchain", "--json"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    ledger = doc["ledger"]
    assert ledger["conserved"] and ledger["token_supply_unchanged"]
    assert ledger["deposit"] == ledger["redeemed"] + ledger["refunded"] + ledger["locked"]
    assert ledger["redeemed"] > 0 and ledger["refunded"] > 0
    assert ledger["balances_change"]["payee"] == ledger["redeemed"]
    whats = [s["what"] for s in doc["steps"]]
    assert any("supplier paid" in w for w in whats)
    assert any("service paid" in w for w in whats)
    assert any("settled" in w for w in whats)


def test_rig_demo_unreachable_chain_is_an_infrastructure_error():
    out = subprocess.run([sys.executable, "-m", "rig.cli", "demo", "--chain-url",
                          "http://127.0.0.1:9"], capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 2
    assert "infrastructure error" in out.stderr and "127.0.0.1:9" in out.stderr
