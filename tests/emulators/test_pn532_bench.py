"""The PN532-path benchmark: a quick run writes both paths, their samples and the ratios."""

from __future__ import annotations

import json
import os

import pytest

from bench.pn532_path import PATHS, SCHEMA, main


@pytest.mark.skipif(not os.access("/dev", os.W_OK),
                    reason="the chip's /dev/ttyCOFFEE* link needs write access to /dev")
def test_a_quick_run_measures_both_paths(tmp_path, capsys):
    out = tmp_path / "pn532.json"
    assert main(["--apdus", "3", "--empty-polls", "1", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == SCHEMA and set(doc["paths"]) == set(PATHS)
    for row in doc["paths"].values():
        assert row["select_ms"]["n"] == 3 and len(row["samples"]["select_s"]) == 3
        assert row["empty_cycle_s"]["n"] == 1 and row["empty_poll_s"]["n"] == 2
    pn532 = doc["paths"]["pn532"]
    assert pn532["driver"] == "nfcpy tty pn532" and pn532["device"].startswith("/dev/ttyCOFFEE")
    assert pn532["iso_dep_exchanges"] >= 5          # RATS, 4 SELECTs
    assert doc["ratios"]["empty_cycle_median"] < 1  # no 1 s wait per empty cycle
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--apdus", "0"], ["--empty-polls", "x"]])
def test_bad_counts_are_refused(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
