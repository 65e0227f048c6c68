"""What the firmware sees in its store, as one comparable value."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from firmware.store import Brew, Store, StoredReceipt

META_KEYS = ("boots", "brews_this_boot", "unrecorded_dispensed")


@dataclass(frozen=True)
class Snapshot:
    meta: tuple[tuple[str, object], ...]
    receipts: tuple[StoredReceipt, ...]
    brews: tuple[Brew, ...]
    credit_balance: int
    outbox: tuple[tuple[object, ...], ...]   # (id, kind, nonce, tx_hash, raw, state, block, meta)

    def differences(self, other: Snapshot) -> list[str]:
        """Which parts differ from ``other``, briefly (for a violation's message)."""
        out = []
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if mine != theirs:
                out.append(f"{f.name}: {_brief(mine)} instead of {_brief(theirs)}")
        return out


def read_snapshot(store: Store) -> Snapshot:
    """Read through the firmware's own accessors: exactly what it would act on after boot."""
    return Snapshot(
        meta=tuple((k, store.get(k)) for k in META_KEYS),
        receipts=tuple(store.receipts()),
        brews=tuple(store.brews()),
        credit_balance=store.credit_balance(),
        outbox=tuple((t.id, t.kind, t.nonce, t.tx_hash, t.raw, t.state.value, t.block,
                      json.dumps(t.meta, sort_keys=True)) for t in store.outbox()),
    )


def _brief(value: object) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], StoredReceipt):
        return "receipts " + str([(r.sequence, r.cumulative) for r in value])
    if isinstance(value, tuple) and value and isinstance(value[0], Brew):
        return "brews " + str([(b.brew_id & 0xFFFFFFFF, b.state.value) for b in value])
    if isinstance(value, tuple) and value and isinstance(value[0], tuple) and len(value[0]) > 6:
        return "outbox " + str([(t[0], t[5]) for t in value])
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
