"""Gate on Slither's JSON: every high/medium finding in our contracts must be explained.

A finding is identified by its detector (``check``) and *where* it is: the dotted path of its
first element, e.g. ``PaymentProvider._open`` or ``IdentityProvider.registerMachine.machine``.
Line numbers are left out on purpose, so an explanation survives unrelated edits.
Explanations are the rows of the tables in ``docs/slither.md`` whose first two cells are
backticked: ``| `check` | `where` | ...``.

Runs with the standard library only (it runs in Slither's own virtualenv).
Exit status: 0 gate passed, 1 unexplained high/medium findings, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

OWN_SOURCES = "contracts/src/"
GATED_IMPACTS = ("High", "Medium")
IMPACT_ORDER = {"High": 0, "Medium": 1, "Low": 2, "Informational": 3, "Optimization": 4}
_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|")


class GateInputError(Exception):
    """The Slither report or the explanations file cannot be used."""


@dataclass(frozen=True)
class Finding:
    check: str
    impact: str
    confidence: str
    where: str
    file: str
    lines: tuple[int, ...]
    description: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.check, self.where)

    @property
    def location(self) -> str:
        span = f"#{self.lines[0]}-{self.lines[-1]}" if self.lines else ""
        return f"{self.file}{span}"


def _where(element: dict) -> str:
    """Dotted path of an element through its parents, leaving out statement nodes."""
    names: list[str] = []
    cur: dict | None = element
    while cur is not None:
        if cur.get("type") != "node":
            names.append(cur["name"])
        cur = cur.get("type_specific_fields", {}).get("parent")
    return ".".join(reversed(names))


def load_findings(report: Path) -> list[Finding]:
    try:
        data = json.loads(report.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise GateInputError(f"cannot read Slither's JSON report {report}: {e}") from e
    if not data.get("success", False):
        raise GateInputError(f"Slither reported failure in {report}: {data.get('error')}")
    found = []
    for r in data.get("results", {}).get("detectors", []):
        if not r.get("elements"):
            continue
        first = r["elements"][0]
        mapping = first.get("source_mapping", {})
        found.append(Finding(
            check=r["check"], impact=r["impact"], confidence=r["confidence"],
            where=_where(first), file=mapping.get("filename_relative", "?"),
            lines=tuple(mapping.get("lines", ())), description=r["description"].strip()))
    return sorted(found, key=lambda f: (IMPACT_ORDER.get(f.impact, 9), f.check, f.where))


def load_explained(doc: Path) -> set[tuple[str, str]]:
    try:
        text = doc.read_text()
    except OSError as e:
        raise GateInputError(f"cannot read the explanations file {doc}: {e}") from e
    return {(m.group(1), m.group(2)) for m in map(_ROW.match, text.splitlines()) if m}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path, help="Slither's --json output")
    ap.add_argument("explanations", type=Path, help="docs/slither.md")
    args = ap.parse_args(argv)
    try:
        findings = load_findings(args.report)
        explained = load_explained(args.explanations)
    except GateInputError as e:
        print(f"slither gate: {e}", file=sys.stderr)
        return 2

    own = [f for f in findings if f.file.startswith(OWN_SOURCES)]
    print(f"\nSlither: {len(own)} finding(s) in {OWN_SOURCES} "
          f"({len(findings) - len(own)} elsewhere ignored)")
    unexplained = []
    for f in own:
        ok = f.key in explained
        if f.impact in GATED_IMPACTS and not ok:
            unexplained.append(f)
        mark = "explained" if ok else ("UNEXPLAINED" if f.impact in GATED_IMPACTS else "-")
        print(f"  {f.impact:<13} {f.check:<24} {f.where:<45} {mark}")
    stale = explained - {f.key for f in own}
    for check, where in sorted(stale):
        print(f"  note: {args.explanations} explains `{check}` at `{where}`, "
              "which Slither no longer reports")
    if unexplained:
        print(f"\nFAIL: {len(unexplained)} high/medium finding(s) not explained in "
              f"{args.explanations}. Fix the contract, or add a row "
              "| `check` | `where` | ... | with the decision:", file=sys.stderr)
        for f in unexplained:
            print(f"  | `{f.check}` | `{f.where}` | {f.impact} | ({f.location})\n"
                  f"    {f.description.splitlines()[0]}", file=sys.stderr)
        return 1
    print("OK: every high/medium finding in our contracts is explained.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
