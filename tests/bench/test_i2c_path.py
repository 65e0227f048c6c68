"""The I2C path benchmark: a quick run's JSON has both paths, every sample and the ratios."""

from __future__ import annotations

import json

import pytest

from bench.i2c_path import PATHS, READS, SCHEMA, main


def test_a_quick_run_measures_both_paths(tmp_path, capsys):
    out = tmp_path / "i2c.json"
    assert main(["--reads", "10", "--rounds", "2", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert (doc["schema"], doc["reads"], doc["rounds"]) == (SCHEMA, 10, 2)
    for path in PATHS:
        for read in READS:
            row = doc["paths"][path][read]
            assert row["n"] == len(row["samples_ms"]) == 10
            assert 0 < row["median_ms"] <= row["p95_ms"]
    for read in READS:
        ratio = doc["ratios_umockdev_over_socket"][read]
        assert ratio["median"] == pytest.approx(
            doc["paths"]["umockdev"][read]["median_ms"]
            / doc["paths"]["socket"][read]["median_ms"], rel=0.01)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--reads", "1"], ["--rounds", "0"], ["--reads", "x"]])
def test_bad_counts_are_refused(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
