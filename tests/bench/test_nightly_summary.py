"""The nightly's verdict: a missing shard or an unreached state fails it, never passes."""

from __future__ import annotations

import json
from pathlib import Path

from bench import nightly_summary
from tests.property.rig_coverage import NAMES


def _shard(directory: Path, shard: int, reached: int = 1) -> None:
    doc = {"shard": shard, "worker": f"gw{shard}", "wall_seconds": 60.0, "examples": 100,
           "failure": "", "outcomes": {"passed": 100},
           "reached": dict.fromkeys(NAMES, reached), "shrunk": None}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"shard-gw{shard}-{shard}.json").write_text(json.dumps(doc))


def _main(tmp_path: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "nightly.json"
    code = nightly_summary.main([str(tmp_path / "records"), "--out", str(out), *args])
    return code, json.loads(out.read_text())


def test_every_state_reached_by_every_shard_passes(tmp_path: Path, capsys) -> None:
    for i in range(2):
        _shard(tmp_path / "records", i)
    code, doc = _main(tmp_path, "--shards", "2")
    assert code == 0 and doc["examples"] == 200 and doc["unreached"] == []
    assert "failures: none" in capsys.readouterr().out


def test_a_shard_that_left_no_record_fails_the_night(tmp_path: Path, capsys) -> None:
    _shard(tmp_path / "records", 0)
    code, doc = _main(tmp_path, "--shards", "2")
    assert code == 1 and doc["shards_missing"] == 1
    assert "MISSING: 1 shard(s) left no record" in capsys.readouterr().out


def test_a_state_never_reached_fails_the_night(tmp_path: Path, capsys) -> None:
    _shard(tmp_path / "records", 0, reached=0)
    code, doc = _main(tmp_path, "--shards", "1")
    assert code == 1 and doc["unreached"] == list(NAMES)
    assert "NEVER REACHED" in capsys.readouterr().out


def test_no_records_is_nothing_to_summarise(tmp_path: Path) -> None:
    assert nightly_summary.main([str(tmp_path / "none")]) == 2
