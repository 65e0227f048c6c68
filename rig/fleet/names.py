"""A fleet machine's name: the same in the progress lines, the report, the live page and
the fault timeline, so one machine can be followed through all of them."""

from __future__ import annotations

from collections.abc import Iterable


def machine_name(index: int) -> str:
    return f"m{index:03d}"


def machine_names(indices: Iterable[int]) -> str:
    return ", ".join(machine_name(i) for i in indices)
