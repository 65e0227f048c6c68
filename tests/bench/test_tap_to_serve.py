"""The tap-to-serve benchmark: a quick run's JSON is complete and internally consistent."""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.tap_to_serve import (
    PHASES,
    SCHEMA,
    BenchError,
    deposit_for,
    main,
    percentile,
    render,
    summarize,
)
from rig.platform.rental import DEFAULT_PRICES

TAPS, COFFEES, SEED = 10, 3, 7


@dataclass(frozen=True)
class QuickRun:
    code: int
    stdout: str
    doc: dict


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> QuickRun:
    tmp = tmp_path_factory.mktemp("tap-to-serve")
    out = tmp / "result.json"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["--taps", str(TAPS), "--baseline-coffees", str(COFFEES),
                     "--seed", str(SEED), "--out", str(out), "--workdir", str(tmp / "work")])
    return QuickRun(code, buf.getvalue(), json.loads(out.read_text()) if out.exists() else {})


def _check_summary(s: dict, n: int, what: str) -> None:
    samples = s["samples_ms"]
    assert s["n"] == len(samples) == n, what
    assert all(isinstance(x, float) and x >= 0 for x in samples), what
    assert s["p50"] <= s["p99"] <= s["max"] == max(samples), what
    assert s["p50"] in samples and s["p99"] in samples, what
    assert s["mean"] == pytest.approx(sum(samples) / n, abs=1e-3), what


# --- the quick run ------------------------------------------------------------------------

def test_quick_run_exits_0_and_prints_the_table(quick: QuickRun):
    assert quick.code == 0
    for phase in PHASES:
        assert phase in quick.stdout
    assert "Baseline / machine tap_to_brew" in quick.stdout
    assert "wrote " in quick.stdout


def test_json_records_seed_host_versions_and_real_fsync(quick: QuickRun):
    doc = quick.doc
    assert doc["schema"] == SCHEMA
    assert doc["seed"] == SEED
    env = doc["environment"]
    assert env["cpu_count"] == os.cpu_count()
    assert env["python"].count(".") == 2
    assert env["anvil"].lower().startswith("anvil")
    # Read back from the firmware process's own environment, not just what was asked for.
    assert env["sd_card_real_fsync"] is True
    assert doc["machine"]["sd_card"]["real_fsync"] is True
    assert doc["machine"]["sd_card"]["host_filesystem"] != "unknown"


def test_every_phase_has_one_sample_per_tap(quick: QuickRun):
    machine = quick.doc["machine"]
    assert machine["taps"] == TAPS == len(machine["per_tap"])
    assert set(machine["phases"]) == set(PHASES)
    for phase, s in machine["phases"].items():
        _check_summary(s, TAPS, phase)
        assert s["samples_ms"] == [t["timings_ms"][phase] for t in machine["per_tap"]], phase


def test_phases_fit_inside_the_tap_and_taps_cycle_phones_and_products(quick: QuickRun):
    taps = quick.doc["machine"]["per_tap"]
    products = sorted(DEFAULT_PRICES)
    assert [t["product"] for t in taps] == [products[i % len(products)] for i in range(TAPS)]
    phones = [t["phone"] for t in taps]
    assert len(set(phones)) == quick.doc["machine"]["phones"]
    assert phones == [phones[i % len(set(phones))] for i in range(TAPS)]  # in turn
    assert [t["sequence"] for t in taps] == list(range(1, TAPS + 1))  # every tap paid
    for t in taps:
        parts = sum(t["timings_ms"][p] for p in PHASES if p != "tap_to_brew")
        assert parts <= t["timings_ms"]["tap_to_brew"] + 0.01, t  # disjoint laps of the tap


def test_baseline_samples_are_one_inclusion_per_payment(quick: QuickRun):
    base = quick.doc["baseline"]
    assert base["coffees"] == COFFEES == len(base["payments"])
    _check_summary(base["latency"], COFFEES, "baseline")
    assert base["latency"]["samples_ms"] == [p["latency_ms"] for p in base["payments"]]
    blocks = [p["block"] for p in base["payments"]]
    assert blocks == sorted(set(blocks))  # each waited for its own block


def test_ratio_is_baseline_over_machine_p50_and_p99(quick: QuickRun):
    base = quick.doc["baseline"]["latency"]
    machine = quick.doc["machine"]["phases"]["tap_to_brew"]
    ratio = quick.doc["ratio"]
    assert ratio["p50"] == pytest.approx(base["p50"] / machine["p50"], abs=1e-3)
    assert ratio["p99"] == pytest.approx(base["p99"] / machine["p99"], abs=1e-3)


def test_a_saved_report_renders_again(quick: QuickRun):
    table = render(quick.doc)
    assert table in quick.stdout
    assert f"seed {SEED}" in table


# --- pieces -------------------------------------------------------------------------------

def test_percentile_is_nearest_rank():
    samples = [float(x) for x in range(100, 0, -1)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0], 50) == 1.0
    s = summarize([4.0, 1.0, 3.0, 2.0])
    assert (s.n, s.mean, s.p50, s.p99, s.max) == (4, 2.5, 2.0, 4.0, 4.0)


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(BenchError, match="no samples"):
        percentile([], 50)
    with pytest.raises(ValueError, match="percentile"):
        percentile([1.0], 0)


def test_deposit_covers_exactly_the_cycled_products():
    prices = {1: 10, 2: 20, 3: 30}
    assert deposit_for(prices, 7) == 10 + 20 + 30 + 10 + 20 + 30 + 10


@pytest.mark.parametrize("argv", [["--taps", "0"], ["--baseline-coffees", "-1"],
                                  ["--taps", "many"]])
def test_bad_counts_are_refused_before_anything_starts(argv: list[str], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--out", str(tmp_path / "r.json")])
    assert exc.value.code == 2
    assert "--" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
