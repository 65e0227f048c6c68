"""The run's random generator, noting every draw, so the determinism self-check can compare
two runs from one seed draw by draw (``rig selfcheck``, docs/determinism.md).

It yields exactly the numbers ``random.Random(seed)`` yields: only the outermost public call
is noted (``choice`` uses ``_randbelow`` uses ``getrandbits`` inside), never altered.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable
from typing import Any

RECORDED = ("random", "uniform", "randint", "randrange", "choice", "choices", "sample",
            "shuffle", "getrandbits", "randbytes", "gauss", "normalvariate", "expovariate",
            "triangular", "betavariate", "lognormvariate", "vonmisesvariate",
            "paretovariate", "weibullvariate")
MAX_DRAWS = 100_000        # a run draws hundreds; a loop gone wild must not eat the memory


def stable(value: Any, depth: int = 0) -> str:
    """A text for a drawn value that is the same in every process (no ``id()`` in it)."""
    if isinstance(value, bool | int | str | bytes | type(None)):
        text = repr(value)
    elif isinstance(value, float):
        text = repr(round(value, 12))
    elif isinstance(value, list | tuple) and depth < 2:
        text = "[" + ", ".join(stable(v, depth + 1) for v in value[:8]) + \
            (", …" if len(value) > 8 else "") + "]"
    else:
        for attr in ("address", "name", "index"):
            named = getattr(value, attr, None)
            if isinstance(named, str | int):
                return f"{type(value).__name__}({named!r})"
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 120 else text[:117] + "..."


class RecordingRandom(random.Random):
    """``random.Random`` that appends ``"name(args) -> result"`` to ``draws`` per draw."""

    def __init__(self, seed: Any = None):
        self.draws: list[str] = []
        self._nesting = threading.local()
        super().__init__(seed)

    def _note(self, name: str, args: tuple, result: Any) -> None:
        if len(self.draws) < MAX_DRAWS:
            shown = ", ".join(stable(a) if isinstance(a, int | float) else
                              f"<{len(a)}>" if hasattr(a, "__len__") else stable(a)
                              for a in args)
            self.draws.append(f"{name}({shown}) -> {stable(result)}")


def _recorded(name: str) -> Callable[..., Any]:
    inner = getattr(random.Random, name)

    @functools.wraps(inner)
    def draw(self: RecordingRandom, *args: Any, **kw: Any) -> Any:
        depth = getattr(self._nesting, "depth", 0)
        self._nesting.depth = depth + 1
        try:
            result = inner(self, *args, **kw)
        finally:
            self._nesting.depth = depth
        if depth == 0:
            self._note(name, args, args[0] if name == "shuffle" else result)
        return result

    return draw


for _name in RECORDED:
    setattr(RecordingRandom, _name, _recorded(_name))
