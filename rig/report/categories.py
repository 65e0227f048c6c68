"""Allure categories: an invariant violation, a scenario expectation, or the rig's own failure.

A scenario's outcome decides its Allure status and a marker at the start of the status
message; ``categories.json`` matches on both. allure-pytest would call every exception that
is not an AssertionError "broken", which would file violations with infrastructure errors, so
the status is set from the outcome instead (``OUTCOME_STATUS``).
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
CATEGORIES = (VIOLATION, EXPECTATION, INFRASTRUCTURE)

OUTCOME_CATEGORY = {"violated": VIOLATION, "failed": EXPECTATION, "error": INFRASTRUCTURE}


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
