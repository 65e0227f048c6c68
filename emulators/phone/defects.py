"""Switchable bugs of the emulated phone, for the rig's mutant testing only.

The phones are ground truth for the oracle (every receipt they signed), so a wrong phone
makes a wrong rig. ``python -m bench.mutants`` turns one of these on to prove that the
phone's own conformance tests, or the oracle, notice. They are chosen through the environment
variable ``COFFEEPAY_PHONE_DEFECTS`` (comma-separated names) so that a pytest run started as
a subprocess sees them too; unset, every phone is correct.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

ENV = "COFFEEPAY_PHONE_DEFECTS"
PHONE_DEFECTS = (
    "phone_no_predecessor_check",  # sign whatever predecessor the reader sends
    "phone_no_stale_check",        # sign a sequence this wallet already signed
    "phone_no_log",                # sign without recording the receipt (ground truth gap)
)


class PhoneDefectError(ValueError):
    """An unknown phone defect name; the message lists the known ones."""


def _check(names: set[str], where: str) -> None:
    unknown = names - set(PHONE_DEFECTS)
    if unknown:
        raise PhoneDefectError(f"{where}: unknown phone defect(s) {sorted(unknown)}; known: "
                               f"{', '.join(PHONE_DEFECTS)}")


def active() -> frozenset[str]:
    """The phone defects switched on now (read from the environment at every call)."""
    names = {n.strip() for n in os.environ.get(ENV, "").split(",") if n.strip()}
    _check(names, f"${ENV}")
    return frozenset(names)


def defect(name: str) -> bool:
    """Whether phone defect ``name`` is on."""
    _check({name}, "defect()")
    return name in active()


@contextlib.contextmanager
def enabled(*names: str) -> Iterator[None]:
    """Switch ``names`` on for the duration of the block (in this process and its children)."""
    _check(set(names), "enabled()")
    before = os.environ.get(ENV)
    os.environ[ENV] = ",".join(names)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
