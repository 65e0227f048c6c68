"""A scenario run as Allure steps, one per phase, with the times they really happened.

set-up (fresh chain, platform contracts, the rented machine) → the scenario's steps and
faults from the timeline (each step's taps and their verdicts from the run's ops) → the final
phase (heal everything, sync, redeem, confirm) → the oracle (one sub-step per invariant,
failed for fail and unknown for Jepsen's info, with the evidence attached).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rig.report.allure_sink import HTML, AllureSink
from rig.report.html_table import page
from rig.report.ledger import verdict_details_html
from rig.report.timeline import TimelineRow, short_where, step_title

if TYPE_CHECKING:
    from rig.scenario.runner import RunResult

FINAL = "final"                          # the runner's timeline kind for the final phase
VERDICT_STATUS = {"ok": "passed", "fail": "failed", "info": "unknown"}


@dataclass(frozen=True)
class Span:
    start: float
    stop: float


def _ops_in(ops: list[dict[str, Any]], span: Span) -> list[dict[str, Any]]:
    return [op for op in ops if isinstance(op.get("at"), int | float)
            and span.start <= op["at"] < span.stop]


def _op_parameters(ops: list[dict[str, Any]]) -> dict[str, str]:
    taps = [op for op in ops if op.get("op") == "tap"]
    if not taps:
        return {}
    verdicts = [f"phone {t.get('phone')}: {t.get('verdict')}"
                + (f" (seq {t['sequence']})" if t.get("sequence") is not None else "")
                + (f" — {t['reason']}" if t.get("reason") else "") for t in taps]
    return {"taps": "; ".join(verdicts)}


def _failed_row(result: RunResult, rows: list[TimelineRow], source: str | None) -> int | None:
    """The step a ``failed`` outcome names (StepFailed messages start with the step's where)."""
    if result.outcome != "failed":
        return None
    message = short_where(result.message.removeprefix("(retried once) "), source)
    hits = [i for i, r in enumerate(rows) if r.action == "step" and r.note
            and message.startswith(f"{r.note}:")]
    return hits[-1] if hits else None


def write_steps(sink: AllureSink, result: RunResult, rows: list[TimelineRow],
                oracle: dict | None, oracle_error: str, run_start: float, run_end: float,
                source: str | None) -> None:
    final_at = next((i for i, r in enumerate(rows) if r.kind == FINAL and r.action == "step"),
                    None)
    scenario_rows = rows[:final_at] if final_at is not None else rows
    first = rows[0].at if rows else run_end
    error = result.outcome == "error"

    if error and not rows:
        sink.step("run: broke before its history was collected (no timeline to show)",
                  run_start, run_end, "broken", message=result.message)
    else:
        sink.step("set-up: fresh chain, platform contracts, rented machine", run_start, first)

    if scenario_rows:
        end = rows[final_at].at if final_at is not None else run_end
        phase = sink.step(f"scenario: {len(scenario_rows)} steps and faults",
                          scenario_rows[0].at, end, "passed")
        failed = _failed_row(result, scenario_rows, source)
        for i, r in enumerate(scenario_rows):
            stop = scenario_rows[i + 1].at if i + 1 < len(scenario_rows) else end
            status = "passed"
            if i == failed:
                status = "failed"
            elif error and final_at is None and i == len(scenario_rows) - 1:
                status = "broken"
            params: dict[str, Any] = {**r.params}
            if r.checkpoint:
                params["firmware checkpoint"] = r.checkpoint
            if r.note and r.action == "step":
                params["where"] = r.note
            elif r.note:
                params["fault name"] = r.note
            params.update(_op_parameters(_ops_in(result.ops, Span(r.at, stop))))
            sink.step(step_title(r), r.at, stop, status, params, parent=phase,
                      message=result.message if status != "passed" else None)
        if failed is not None or (error and final_at is None):
            phase.status = "failed" if failed is not None else "broken"

    if final_at is not None:
        sink.step("final: heal every fault, sync, redeem, confirm", rows[final_at].at,
                  run_end, "broken" if error else "passed",
                  message=result.message if error else None)
    elif rows:
        sink.step("final: not reached", run_end, run_end, "skipped",
                  message="a scenario step failed or the rig broke before the final phase")

    _oracle_steps(sink, oracle, oracle_error, run_end)


def _oracle_steps(sink: AllureSink, oracle: dict | None, oracle_error: str, at: float) -> None:
    if oracle is None:
        sink.step("oracle: no report", at, at, "broken", message=oracle_error)
        return
    verdicts = [v for v in oracle.get("verdicts") or [] if isinstance(v, dict)]
    outcomes = {v.get("outcome") for v in verdicts}
    status = "failed" if "fail" in outcomes else "unknown" if "info" in outcomes else "passed"
    phase = sink.step(f"oracle: {len(verdicts)} invariants", at, at, status)
    for v in verdicts:
        outcome = str(v.get("outcome"))
        step = sink.step(f"{v.get('id')} {v.get('name')}: {outcome}", at, at,
                         VERDICT_STATUS.get(outcome, "broken"),
                         {"summary": v.get("summary") or ""}, parent=phase,
                         message=v.get("summary") if outcome != "ok" else None)
        if outcome != "ok":
            sink.attach(page(f"{v.get('id')} evidence", verdict_details_html(v)),
                        f"{v.get('id')} evidence", HTML, parent=step)
