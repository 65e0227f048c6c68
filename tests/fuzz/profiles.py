"""Hypothesis settings for the parser fuzzers: a quick deterministic ``ci`` profile and a
``nightly`` one with at least 100,000 inputs per parser and a generous per-input deadline.

Hangs are caught by CPU time, not by the deadline (``tests/fuzz/hang.py``): the nightly
fuzzers run at low priority beside the property shards, where wall time per input says more
about the neighbours than about the parser. The deadline only flags gross slowness.

The profile is chosen by ``COFFEEPAY_FUZZ_PROFILE`` (default ``ci``). Fuzz tests take their
settings from :func:`fuzz` instead of loading a profile globally, so the choice never leaks
into the other Hypothesis tests of the same pytest session.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

PROFILE_ENV = "COFFEEPAY_FUZZ_PROFILE"
EXAMPLES_ENV = "COFFEEPAY_FUZZ_MAX_EXAMPLES"
"""Optional override of every fuzz test's ``max_examples`` (a short nightly trial run)."""

CI_EXAMPLES = 200
NIGHTLY_EXAMPLES = 100_000
NIGHTLY_DEADLINE = timedelta(seconds=10)
"""Wall time one input may take, however loaded the machine (hangs: ``hang.py``)."""

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", derandomize=True, max_examples=CI_EXAMPLES, deadline=None, database=None,
    print_blob=False, suppress_health_check=_QUIET)
settings.register_profile(
    "nightly", max_examples=NIGHTLY_EXAMPLES, deadline=NIGHTLY_DEADLINE, database=None,
    derandomize=False,  # explicit: under CI=true the inherited default is derandomized
    print_blob=True, suppress_health_check=_QUIET)

PROFILES = ("ci", "nightly")


class FuzzProfileError(ValueError):
    """``COFFEEPAY_FUZZ_PROFILE`` or ``COFFEEPAY_FUZZ_MAX_EXAMPLES`` has a bad value."""


def active_profile() -> str:
    name = os.environ.get(PROFILE_ENV, "ci") or "ci"
    if name not in PROFILES:
        raise FuzzProfileError(f"{PROFILE_ENV}={name!r} is not a fuzz profile; use one of "
                               f"{', '.join(PROFILES)}")
    return name


def _examples_override() -> int | None:
    raw = os.environ.get(EXAMPLES_ENV, "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise FuzzProfileError(f"{EXAMPLES_ENV}={raw!r} must be a positive integer")
    return int(raw)


def fuzz(weight: float = 1.0) -> settings:
    """Settings for one fuzz test under the active profile.

    ``weight`` scales ``max_examples`` in the ``ci`` profile only, for tests whose inputs
    are expensive (signatures); the nightly budget is never scaled below 100,000.
    """
    name = active_profile()
    base = settings.get_profile(name)
    examples = _examples_override()
    if examples is None:
        examples = (max(10, round(base.max_examples * weight)) if name == "ci"
                    else base.max_examples)
    return settings(base, max_examples=examples)
