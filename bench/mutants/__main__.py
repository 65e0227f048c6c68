"""The rig's detection score: every seeded defect must be caught, the correct build never.

``python -m bench.mutants [--only NAME]... [--out PATH] [--seed N] [--no-baseline]``

For each defect of the catalog (bench/mutants/catalog.py: firmware defects, contract mutants,
emulated-phone bugs) it switches the defect on and runs the checks meant to catch it: the
scenarios through the rig's runner and oracle, the contract or phone tests through pytest.
It records, per defect, whether it was caught, by which check and invariant or test, and how
long that took; then it runs the same checks on the correct build, which must all pass.
Writes ``bench/results/mutants.json`` and prints the table.

Exit status: 0 when every defect is caught and the correct build raises no alarm; 1 when a
defect escapes or a check fails on the correct build; 2 when the catalog itself is broken.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.mutants.catalog import CATALOG, ROOT, CatalogError, Check, Defect, validate
from bench.mutants.detectors import run_check
from bench.mutants.results import DefectResult, MutantReport, table

RESULTS = ROOT / "bench" / "results" / "mutants.json"
SEED = 20261121


def select(only: list[str] | None) -> list[Defect]:
    if not only:
        return list(CATALOG)
    known = {d.name: d for d in CATALOG}
    unknown = [n for n in only if n not in known]
    if unknown:
        raise CatalogError(f"unknown defect(s) {unknown}; known: {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(only)]


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(defects: list[Defect], seed: int, baseline: bool, scratch: Path) -> MutantReport:
    checks: dict[str, Check] = {}
    for d in defects:
        for c in d.checks:
            checks.setdefault(c.label, c)
    clean = []
    if baseline:
        for label, c in checks.items():
            _progress(f"correct build: {label} ...")
            clean.append(run_check(c, None, seed, scratch))
            _progress(f"  {clean[-1].outcome} ({clean[-1].seconds:.1f}s)")
    results = []
    for d in defects:
        r = DefectResult(d)
        for c in d.checks:
            _progress(f"{d.name}: {c.label} ...")
            r.runs.append(run_check(c, d, seed, scratch))
            got = r.runs[-1]
            _progress(f"  {'caught' if got.fired else 'missed'}: {got.outcome} "
                      f"{', '.join(got.evidence[:3])} ({got.seconds:.1f}s)")
        results.append(r)
    return MutantReport(seed, results, clean)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.mutants",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="run only this defect (repeatable); the default is the whole catalog")
    ap.add_argument("--out", type=Path, default=RESULTS,
                    help=f"JSON results (default {RESULTS.relative_to(ROOT)})")
    ap.add_argument("--seed", type=int, default=SEED, help=f"run seed (default {SEED})")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the correct build's runs of the same checks")
    args = ap.parse_args(argv)
    try:
        validate()
        defects = select(args.only)
    except CatalogError as e:
        print(f"bench.mutants: {e}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="coffeepay-mutants-") as tmp:
        report = run(defects, args.seed, not args.no_baseline, Path(tmp))
        _keep(report, args.out.parent / "mutants-runs")
    command = "python -m bench.mutants " + shlex.join(argv if argv is not None else sys.argv[1:])
    doc = report.to_json(datetime.now(UTC).isoformat(timespec="seconds"), command.strip())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(table(report))
    print(f"wrote {args.out}")
    return 0 if report.ok else 1


def _keep(report: MutantReport, target: Path) -> None:
    """Copy the work directories of runs that did not go as expected (a missed defect, a
    false alarm) out of the scratch space, so their logs and history can be read."""
    runs = [*report.baseline, *(r for res in report.results for r in res.runs)]
    for r in runs:
        if r.workdir is None or not Path(r.workdir).is_dir():
            continue
        dest = target / Path(r.workdir).name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(r.workdir, dest)
        r.workdir = str(dest)
        _progress(f"kept {dest}")


if __name__ == "__main__":
    sys.exit(main())
