"""One scenario run written into its Allure result: what an auditor opens first.

Title, labels (suite = the scenario file, its tags), a description that is always on screen
(outcome, seeds, the replay command, the faults injected, the verdict table), the phases as
steps, the status from the outcome (see ``categories``), and the attachments: fault timeline,
chain transactions, ledger with verdicts and evidence, logs, the full history, the run record.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING

from rig.report.allure_sink import HTML, JSON, JSONL, TEXT, AllureSink
from rig.report.categories import status_message
from rig.report.chain_txs import chain_txs, chain_txs_html, chain_txs_json
from rig.report.html_table import bullets, esc, page
from rig.report.ledger import oracle_html, verdicts_html
from rig.report.record import RECORD_NAME, RunRecord, oracle_json, record_of
from rig.report.steps import write_steps
from rig.report.timeline import faults_summary_html, timeline_html, timeline_json, timeline_rows

if TYPE_CHECKING:
    from rig.scenario.runner import RunResult

ROOT = Path(__file__).resolve().parents[2]
LOG_NAMES = {"console.jsonl": "firmware log (console.jsonl)",
             "dispenses.jsonl": "brew board log (dispenses.jsonl)"}
LOG_TAIL = 200_000
SUITE_PARENT = "scenarios"


def display_path(path: str) -> str:
    """A scenario file relative to the repository (or the working directory) when it can be."""
    p = Path(path)
    for base in (ROOT, Path.cwd()):
        try:
            return str(p.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return path


def replay_text(record: RunRecord) -> str:
    return (f"scenario      {record.scenario} ({record.scenario_file})\n"
            f"outcome       {record.outcome}\n"
            + (f"re-runs       {record.reproducibility}\n" if record.reproducibility else "") +
            f"run seed      {record.run_seed}\n"
            f"scenario seed {record.seed} (derived from the run seed and the scenario id)\n"
            f"replay        {record.replay}\n"
            f"or, with pytest: pytest {record.scenario_file} --rig-seed {record.run_seed}\n")


def _dumps(doc: object) -> str:
    return json.dumps(doc, indent=1, default=str)


def labels(sink: AllureSink, record: RunRecord, marker_names: set[str]) -> None:
    shown = display_path(record.scenario_file)
    sink.title(record.scenario)
    sink.label("parentSuite", SUITE_PARENT)
    sink.label("suite", shown)
    for tag in record.tags:
        if tag not in marker_names:      # markers become tags in allure-pytest already
            sink.label("tag", tag)
    sink.label("rig.outcome", record.outcome)
    sink.label("rig.run_seed", str(record.run_seed))
    sink.label("rig.profile", record.profile)
    sink.parameter("seed", record.seed)
    sink.parameter("run seed", record.run_seed)
    sink.parameter("profile", record.profile)
    if Path(record.scenario_file).is_file():
        sink.link(Path(record.scenario_file).resolve().as_uri(), f"scenario file {shown}")


def description(result: RunResult, record: RunRecord, faults_html: str,
                oracle: dict | None) -> str:
    expect = ", ".join(f"{k} {v}" for k, v in record.expect.items()) or \
        "none declared (only: some invariant decided)"
    facts = bullets([
        ("outcome", record.outcome),
        *([("re-runs from the same seed", record.reproducibility)]
          if record.reproducibility else []),
        ("exists to prove", expect), ("scenario file", display_path(record.scenario_file)),
        ("scenario seed", record.seed), ("run seed", record.run_seed),
        ("profile", record.profile), ("replay", record.replay),
        ("duration", f"{record.duration:.1f} s")])
    message = (f"<h4>Why it did not pass</h4><pre>{esc(record.message)}</pre>"
               if record.outcome != "passed" and record.message else "")
    verdicts = verdicts_html(oracle, plain=True) if oracle is not None else \
        f"<p>No oracle verdicts: {esc(record.oracle_error)}</p>"
    return (f"<p>{esc(result.scenario.description or result.scenario.name)}</p>{facts}"
            f"{message}<h4>Fault timeline (faults only)</h4>{faults_html}{verdicts}")


def attachments(sink: AllureSink, result: RunResult, record: RunRecord, rows: list,
                oracle: dict | None) -> None:
    h = result.history
    sink.attach(page("fault timeline", timeline_html(rows)), "fault timeline", HTML)
    sink.attach(_dumps(timeline_json(rows)), "fault timeline (JSON)", JSON)
    if h is not None:
        txs = chain_txs(h)
        sink.attach(page("chain transactions", chain_txs_html(txs)), "chain transactions", HTML)
        sink.attach(_dumps(chain_txs_json(txs)), "chain transactions (JSON)", JSON)
    if oracle is not None:
        sink.attach(page("ledger and invariants", oracle_html(oracle)),
                    "ledger and invariants", HTML)
        sink.attach(_dumps(oracle), "oracle report (JSON)", JSON)
        if result.report is not None:
            try:
                sink.attach(result.report.render_text(), "oracle report (text)", TEXT)
            except Exception as e:  # the JSON above already holds everything
                sink.attach(f"render_text() failed: {type(e).__name__}: {e}",
                            "oracle report (text)", TEXT)
    for name, text in result.logs.items():
        sink.attach(text[-LOG_TAIL:], LOG_NAMES.get(name, name), JSONL)
    if h is not None:
        sink.attach(_dumps([vars(s) for s in h.signed]), "phone log (signed receipts)", JSON)
        sink.attach(_dumps([vars(m) for m in h.marks]), "firmware checkpoints", JSON)
        sink.attach(_dumps(h.to_json()), "history (JSON, re-checkable)", JSON)
    anvil_log = result.workdir / "anvil.log" if result.workdir else None
    if anvil_log is not None and anvil_log.is_file():
        sink.attach(anvil_log.read_text(errors="replace")[-LOG_TAIL:], "anvil log", TEXT)
    sink.attach(replay_text(record), "seed and replay", TEXT)
    sink.attach(_dumps(record.to_json()), RECORD_NAME, JSON)


def write_scenario(sink: AllureSink, result: RunResult, run_end: float,
                   marker_names: AbstractSet[str] = frozenset()) -> RunRecord:
    """Everything about ``result`` into ``sink``; ``run_end`` is when the run finished."""
    record = record_of(result)
    oracle, _ = oracle_json(result)
    source = str(result.scenario.source) if result.scenario.source else None
    rows = timeline_rows(result.history.timeline, source) if result.history else []
    labels(sink, record, set(marker_names))
    sink.description_html(description(result, record, faults_summary_html(rows), oracle))
    write_steps(sink, result, rows, oracle, record.oracle_error,
                run_end - result.duration, run_end, source)
    attachments(sink, result, record, rows, oracle)
    text = record.message + (f"\nre-runs from the same seed: {record.reproducibility}"
                             if record.reproducibility else "")
    status, message = status_message(record.outcome, text)
    sink.status(status, message, flaky=record.retried)
    return record
