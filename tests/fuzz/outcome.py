"""The fuzz oracle shared by every parser: an input is accepted, or refused with the
parser's own documented error carrying a message. Anything else propagates and fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import currently_in_test_context, event

from tests.fuzz.hang import cpu_limit


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


Errors = type[BaseException] | tuple[type[BaseException], ...]


def run_parser(parse: Callable[..., Any], errors: Errors, *args: Any) -> Outcome:
    """``parse(*args)``; a documented refusal must say something, an undocumented one fails,
    and so does an input the parser is stuck on (``ParserHang``)."""
    try:
        with cpu_limit():
            out = Outcome(value=parse(*args))
    except errors as exc:
        assert str(exc).strip(), f"{type(exc).__name__} raised without a message"
        out = Outcome(error=exc)
    if currently_in_test_context():  # shown by --hypothesis-show-statistics: how deep it got
        event("accepted" if out.accepted else f"refused: {type(out.error).__name__}")
    return out
