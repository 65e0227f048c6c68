"""The NFC-under-load benchmark: a quick run's JSON is complete and adds up."""

from __future__ import annotations

import json

import pytest

from bench.nfc_under_load import INTERVALS, SCHEMA, main


def test_a_quick_run_accounts_for_every_tap(tmp_path, capsys):
    out = tmp_path / "nfc.json"
    assert main(["--taps", "3", "--busy", "1", "--seed", "4", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert (doc["schema"], doc["busy_threads"], doc["seed"]) == (SCHEMA, 1, 4)
    rows = doc["intervals"]
    assert [r["switch_interval_ms"] for r in rows] == [i * 1000 for i in INTERVALS]
    for row in rows:
        assert row["taps"] == 3
        assert row["served"] + sum(row["failed"].values()) == 3
    assert rows[-1]["served"] >= 1, rows        # the rig's own setting serves taps
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--taps", "0"], ["--busy", "-1"], ["--taps", "x"]])
def test_bad_counts_are_refused(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "must be at least" in err or "expected a whole number" in err
