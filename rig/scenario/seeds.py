"""Seeds: one per run, chosen by the rig; each scenario's derived from it and its id."""

from __future__ import annotations

import random


def new_run_seed() -> int:
    return random.SystemRandom().randrange(2**32)


def scenario_seed(run_seed: int, scenario_id: str) -> int:
    return random.Random(f"{run_seed}:{scenario_id}").randrange(2**32)
