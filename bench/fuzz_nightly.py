"""Nightly fuzzing of every byte-level parser: the Hypothesis fuzz tests of ``tests/fuzz/``
under the ``nightly`` profile (at least 100,000 inputs per test, a per-input deadline).

``python -m bench.fuzz_nightly`` runs each parser's fuzz tests in this process, counts the
inputs actually executed (generation, replay and shrinking alike), and writes
``bench/results/fuzz.json``: inputs and inputs/s per parser and per test, and every failure
with the minimal failing example Hypothesis shrank it to.

``--seconds`` time-boxes the run: the nightly shares the machine with the property shards, so
how many inputs fit is not known in advance. Each parser gets an equal share of the wall
time; a test stops when its share is spent, unless it has found a failure (its shrinking is
never cut short), and the results say which tests the clock stopped.

Exit status: 0 no failures, 1 a parser failed its property, 2 the fuzzing could not run.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.args import at_least

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "fuzz.json"
SCHEMA = "coffeepay-fuzz/1"
PARSERS: dict[str, str] = {
    "nfc_reader": "tests.fuzz.test_fuzz_nfc_reader",
    "phone_applet": "tests.fuzz.test_fuzz_phone_applet",
    "brew_firmware": "tests.fuzz.test_fuzz_brew_firmware",
    "brew_board": "tests.fuzz.test_fuzz_brew_board",
    "sensor_wire_firmware": "tests.fuzz.test_fuzz_sensor_wire_firmware",
    "sensor_wire_emulator": "tests.fuzz.test_fuzz_sensor_wire_emulator",
    "scenario_loader": "tests.fuzz.test_fuzz_scenario_loader",
    "config": "tests.fuzz.test_fuzz_config",
}
"""Parser name → the module holding its fuzz tests (one file per parser)."""


class FuzzRunError(Exception):
    """The fuzz tests could not be collected or called (not a parser failure)."""


class _TimeBoxSpent(BaseException):
    """Raised between inputs when a test's share of the time is spent. A BaseException, as
    KeyboardInterrupt is, so that Hypothesis passes it through instead of shrinking it."""


@dataclass
class Failure:
    error: str
    message: str
    minimal_example: str
    traceback: str


@dataclass
class TestRun:
    name: str
    inputs: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    stopped_by_clock: bool = False

    @property
    def inputs_per_second(self) -> float:
        return round(self.inputs / self.seconds, 1) if self.seconds else 0.0


def fuzz_tests(module_name: str) -> list[tuple[str, Callable[..., None]]]:
    """The ``@given`` tests of a fuzz module; pinned known bugs (xfail) are not fuzz tests."""
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise FuzzRunError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from exc
    found = []
    for name, fn in vars(module).items():
        marks = {m.name for m in getattr(fn, "pytestmark", [])}
        if name.startswith("test_") and hasattr(fn, "hypothesis") and "xfail" not in marks:
            found.append((name, fn))
    if not found:
        raise FuzzRunError(f"{module_name} has no Hypothesis fuzz tests")
    return found


def _fixtures(fn: Callable[..., None], workdir: Path) -> dict[str, Any]:
    """Arguments for the pytest fixtures a fuzz test takes: ``*_file`` is a scratch path."""
    args = {}
    for name in inspect.signature(fn).parameters:
        if not name.endswith("_file"):
            raise FuzzRunError(f"{fn.__name__} takes fixture {name!r}; the nightly runner "
                               f"only provides '*_file' scratch paths")
        args[name] = workdir / name
    return args


def _failures(exc: BaseException) -> list[Failure]:
    leaves = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else [exc]
    out = []
    for leaf in leaves:
        notes = [n for n in getattr(leaf, "__notes__", []) if n.strip()]
        example = "\n".join(n for n in notes if "Falsifying" in n or "Failing" in n) \
            or "\n".join(notes)
        out.append(Failure(type(leaf).__name__, str(leaf)[:2000], example[:4000],
                           "".join(traceback.format_exception(leaf))[-4000:]))
    return out


def run_test(name: str, fn: Callable[..., None], workdir: Path, seed: int | None,
             seconds: float | None = None) -> TestRun:
    """Run one fuzz test to its example budget, or until ``seconds`` of wall time are spent
    (never once it failed: the shrinking that follows is what makes the failure useful)."""
    from hypothesis import seed as hypothesis_seed
    from hypothesis.reporting import with_reporter

    result = TestRun(name)
    inner = fn.hypothesis.inner_test  # type: ignore[attr-defined]
    until = None if seconds is None else time.monotonic() + seconds
    failed = False

    @functools.wraps(inner)
    def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal failed
        if until is not None and not failed and time.monotonic() >= until:
            raise _TimeBoxSpent
        result.inputs += 1
        try:
            inner(*args, **kwargs)
        except Exception:
            failed = True
            raise

    fn.hypothesis.inner_test = counted  # type: ignore[attr-defined]
    if seed is not None:
        fn = hypothesis_seed(seed)(fn)
    start = time.perf_counter()
    said: list[object] = []
    try:
        with with_reporter(said.append):
            fn(**_fixtures(fn, workdir))
    except KeyboardInterrupt:
        raise
    except FuzzRunError:
        raise
    except _TimeBoxSpent:
        result.stopped_by_clock = True
    except BaseException as exc:
        result.failures = _failures(exc)
    finally:
        result.seconds = round(time.perf_counter() - start, 3)
        fn.hypothesis.inner_test = inner  # type: ignore[attr-defined]
    if not result.stopped_by_clock:   # else Hypothesis' "reproduce this failure" is no failure
        for line in said:
            print(line, flush=True)
    return result


def run(parsers: list[str], seed: int | None, seconds: float | None = None) -> dict[str, Any]:
    """Fuzz ``parsers`` one after another here; ``seconds`` is each parser's share of time."""
    from tests.fuzz import profiles

    settings = profiles.fuzz()
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": profiles.active_profile(),
        "max_examples_per_test": settings.max_examples,
        "deadline_ms": (settings.deadline.total_seconds() * 1000 if settings.deadline else None),
        "seed": seed,
        "seconds_per_parser": seconds,
        "host": {"python": platform.python_version(), "cpus": os.cpu_count(),
                 "machine": platform.machine(), "hypothesis": metadata.version("hypothesis")},
        "parsers": {},
    }
    with tempfile.TemporaryDirectory(prefix="coffeepay-fuzz-") as tmp:
        for parser in parsers:
            workdir = Path(tmp) / parser
            workdir.mkdir()
            found = fuzz_tests(PARSERS[parser])
            share = None if seconds is None else seconds / len(found)
            tests = [run_test(name, fn, workdir, seed, share) for name, fn in found]
            inputs, spent = sum(t.inputs for t in tests), sum(t.seconds for t in tests)
            doc["parsers"][parser] = {
                "module": PARSERS[parser], "inputs": inputs, "seconds": round(spent, 3),
                "inputs_per_second": round(inputs / spent, 1) if spent else 0.0,
                "failures": sum(len(t.failures) for t in tests),
                "stopped_by_clock": [t.name for t in tests if t.stopped_by_clock],
                "tests": [{**asdict(t), "inputs_per_second": t.inputs_per_second}
                          for t in tests],
            }
            clock = " (time box)" if doc["parsers"][parser]["stopped_by_clock"] else ""
            print(f"  {parser:<22} {inputs:>9} inputs {spent:>9.1f} s "
                  f"{doc['parsers'][parser]['inputs_per_second']:>9.1f}/s "
                  f"{doc['parsers'][parser]['failures']} failure(s){clock}", flush=True)
    doc["failures"] = sum(p["failures"] for p in doc["parsers"].values())
    return doc


def tests_in(parser: str) -> int:
    """How many fuzz tests a parser's module holds (read from its source, not imported:
    the nightly budget must be set before Hypothesis builds the tests' settings)."""
    source = (ROOT / (PARSERS[parser].replace(".", "/") + ".py")).read_text()
    return max(source.count("@fuzz("), 1)


def per_test_budget(parser: str, inputs_per_parser: int) -> int:
    return -(-inputs_per_parser // tests_in(parser))


def run_parallel(parsers: list[str], seed: int | None, jobs: int,
                 max_examples: int | dict[str, int] | None,
                 seconds: float | None = None) -> dict[str, Any]:
    """One child process per parser, ``jobs`` at a time; their results merged in order.
    ``max_examples`` is per test, for all parsers or per parser; ``seconds`` is the whole
    run's time box, shared equally by the parsers."""
    share = None if seconds is None else seconds * jobs / len(parsers)
    with tempfile.TemporaryDirectory(prefix="coffeepay-fuzz-jobs-") as tmp:
        def child(parser: str) -> dict[str, Any]:
            out = Path(tmp) / f"{parser}.json"
            cmd = [sys.executable, "-m", "bench.fuzz_nightly", "--parsers", parser,
                   "--out", str(out)]
            cmd += [] if seed is None else ["--seed", str(seed)]
            budget = max_examples.get(parser) if isinstance(max_examples, dict) else max_examples
            cmd += [] if budget is None else ["--max-examples", str(budget)]
            cmd += [] if share is None else ["--seconds", str(max(1, round(share)))]
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
            print("\n".join(line for line in proc.stdout.splitlines()
                            if line.startswith(f"  {parser} ")), flush=True)
            if proc.returncode not in (0, 1) or not out.exists():
                raise FuzzRunError(f"fuzzing {parser} exited {proc.returncode}: "
                                   f"{proc.stderr.strip()[-2000:]}")
            return json.loads(out.read_text())

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            docs = list(pool.map(child, parsers))
    doc = {k: v for k, v in docs[0].items() if k not in ("parsers", "failures")}
    doc["jobs"] = jobs
    doc["seconds"] = seconds
    doc["parsers"] = {name: part for d in docs for name, part in d["parsers"].items()}
    doc["failures"] = sum(d["failures"] for d in docs)
    return doc


def write(doc: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(out)
    return out


def _parser_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PARSERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown parser(s) {unknown or text!r}; known: "
                                         f"{', '.join(PARSERS)}")
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fuzz_nightly",
                                 description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--parsers", type=_parser_list, default=list(PARSERS),
                    help=f"comma-separated subset of: {', '.join(PARSERS)} (default: all)")
    ap.add_argument("--max-examples", type=at_least(1), default=None,
                    help="inputs per test (a trial run); default: --inputs-per-parser")
    ap.add_argument("--inputs-per-parser", type=at_least(1), default=100_000,
                    help="the nightly budget, split over each parser's tests (default 100,000)")
    ap.add_argument("--seconds", type=at_least(1), default=None,
                    help="time box of the whole run, shared equally by the parsers; a test "
                         "that found a failure is never stopped (default: no time box)")
    ap.add_argument("--seed", type=int, default=None,
                    help="Hypothesis seed, to replay a night (default: random)")
    ap.add_argument("--jobs", type=at_least(1), default=1,
                    help="parsers fuzzed at once, each in its own process (default 1)")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results (default {RESULTS})")
    args = ap.parse_args(argv)

    os.environ["COFFEEPAY_FUZZ_PROFILE"] = "nightly"
    if args.max_examples is not None:
        os.environ["COFFEEPAY_FUZZ_MAX_EXAMPLES"] = str(args.max_examples)
    else:
        os.environ.pop("COFFEEPAY_FUZZ_MAX_EXAMPLES", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        if args.max_examples is None and len(args.parsers) > 1:
            budget = {p: per_test_budget(p, args.inputs_per_parser) for p in args.parsers}
            doc = run_parallel(args.parsers, args.seed, args.jobs, budget, args.seconds)
        elif args.jobs > 1 and len(args.parsers) > 1:
            doc = run_parallel(args.parsers, args.seed, args.jobs, args.max_examples,
                               args.seconds)
        else:
            if args.max_examples is None:
                os.environ["COFFEEPAY_FUZZ_MAX_EXAMPLES"] = str(
                    per_test_budget(args.parsers[0], args.inputs_per_parser))
            try:
                doc = run(args.parsers, args.seed, None if args.seconds is None
                          else args.seconds / len(args.parsers))
            finally:
                if args.max_examples is None:
                    os.environ.pop("COFFEEPAY_FUZZ_MAX_EXAMPLES", None)
    except FuzzRunError as exc:
        print(f"bench.fuzz_nightly: could not fuzz: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {write(doc, args.out)}")
    return 1 if doc["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
