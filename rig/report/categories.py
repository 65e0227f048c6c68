"""Allure categories: an invariant violation, a scenario expectation, an inconclusive run, or
the rig's own failure.

A scenario's outcome decides its Allure status and a marker at the start of the status
message; ``categories.json`` matches on both. allure-pytest would call every exception that
is not an AssertionError "broken", which would file violations with infrastructure errors, so
the status is set from the outcome instead (``status_message``).

An inconclusive run is Allure-``broken``, not ``failed``: Allure reads *failed* as "the
product is defective" and *broken* as "the test could not do its job", and an inconclusive
run found no defect; it could not establish what it exists to prove. Its own category (and
marker) keeps it apart from the rig's infrastructure errors, which are broken too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

CATEGORIES_FILE = "categories.json"


@dataclass(frozen=True)
class Category:
    name: str
    marker: str                   # starts the status message of every result in it
    status: str                   # the Allure status results in it get
    description: str

    def to_json(self) -> dict:
        return {"name": self.name, "matchedStatuses": [self.status],
                "messageRegex": f"(?s){re.escape(self.marker)}.*",
                "description": self.description}


VIOLATION = Category(
    "Invariant violation", "[invariant violation]", "failed",
    "The oracle found a money or coffee invariant broken (protocol/invariants.md). Never "
    "retried: replay it from its seed.")
EXPECTATION = Category(
    "Scenario expectation failed", "[scenario expectation]", "failed",
    "A step's own expectation did not hold (e.g. a tap expected to be served was refused); "
    "the oracle's verdicts are still attached.")
INFRASTRUCTURE = Category(
    "Rig infrastructure error", "[rig infrastructure]", "broken",
    "The rig itself failed (chain, processes, timeouts), twice: the item retries once. Not a "
    "verdict about the firmware.")
INCONCLUSIVE = Category(
    "Inconclusive: target invariant undecided", "[inconclusive]", "broken",
    "No invariant failed, but the oracle could not decide an invariant the scenario exists to "
    "prove (its `expect:`), or decided none at all: not a pass. The faults left the premise "
    "of the check unknown; change the scenario so they do not. Never retried.")
CATEGORIES = (VIOLATION, EXPECTATION, INCONCLUSIVE, INFRASTRUCTURE)

OUTCOME_CATEGORY = {"violated": VIOLATION, "failed": EXPECTATION,
                    "inconclusive": INCONCLUSIVE, "error": INFRASTRUCTURE}


def status_message(outcome: str, message: str) -> tuple[str, str]:
    """The Allure status and the marked message for a scenario outcome."""
    category = OUTCOME_CATEGORY.get(outcome)
    if category is None:
        return "passed", message
    return category.status, f"{category.marker} {message}".rstrip()


def write_categories(results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / CATEGORIES_FILE
    path.write_text(json.dumps([c.to_json() for c in CATEGORIES], indent=2) + "\n")
    return path
