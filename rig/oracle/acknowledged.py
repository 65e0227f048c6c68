"""A: the receipts the machine acknowledged, read from its checkpoint stream.

``receipt-persisted`` with a cumulative (a credit-paid coffee carries None: no receipt) and
``receipt-recovered`` (a receipt adopted from the phone after a loss). A receipt signed but
never persisted is *not* acknowledged: the oracle accepts it redeemed or not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rig.history import Mark
from rig.oracle.errors import HistoryError

ACK_MARKS = {"receipt-persisted": "persisted", "receipt-recovered": "recovered"}


@dataclass(frozen=True)
class Ack:
    sequence: int
    cumulative: int
    how: str                      # persisted | recovered
    mark: Mark

    def evidence(self) -> dict:
        return {"acknowledged": self.how, "sequence": self.sequence,
                "cumulative": self.cumulative, "mark": asdict(self.mark)}


def _int(mark: Mark, key: str) -> int:
    value = mark.data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise HistoryError(f"checkpoint {mark.name!r} #{mark.seq} (boot {mark.boot}) needs an "
                           f"integer {key!r}, has {value!r}; data: {mark.data}")
    return value


def acknowledged(marks: list[Mark]) -> list[Ack]:
    acks = []
    for mark in sorted(marks, key=lambda m: m.seq):
        how = ACK_MARKS.get(mark.name)
        if how is None:
            continue
        if how == "persisted":
            if "cumulative" not in mark.data:
                raise HistoryError(f"checkpoint 'receipt-persisted' #{mark.seq} (boot "
                                   f"{mark.boot}) has no 'cumulative' (None for a credit-paid "
                                   f"coffee); data: {mark.data}")
            if mark.data["cumulative"] is None:
                continue
        acks.append(Ack(_int(mark, "sequence"), _int(mark, "cumulative"), how, mark))
    return acks
