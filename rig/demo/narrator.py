"""Print numbered steps and collect them for the JSON form of a demo."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Narrator:
    out: TextIO | None = sys.stdout
    steps: list[dict] = field(default_factory=list)

    def step(self, text: str, **facts: object) -> None:
        self.steps.append({"step": len(self.steps) + 1, "what": text, **facts})
        if self.out is not None:
            extra = "  ".join(f"{k}={v}" for k, v in facts.items())
            print(f"[{len(self.steps):>2}] {text}" + (f"  ({extra})" if extra else ""),
                  file=self.out, flush=True)


def euros(units: int) -> str:
    return f"{units / 10**6:,.2f}"
