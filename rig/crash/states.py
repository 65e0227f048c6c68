"""Crash states: what the card may hold if power fails at a given point of the trace.

The storage model is the SD card's: a completed sync of a file makes every earlier write and
truncate of that file durable; until then they are *pending* and, on a crash, any of them
may have reached the card, in any order, the last one written only in part. Kinds:

* ``prefix``    every operation before the crash point landed, in order (ALICE's prefix);
* ``dropped``   no pending operation landed (SQLite's crash VFS "drop");
* ``partial``   the first k pending operations landed;
* ``torn``      the first j landed, then the next write tore: its first half, its first
                512-byte sector, or garbage over its whole range (powersafe overwrite: a
                write never harms bytes outside its own range, which the VFS promises SQLite);
* ``reordered`` a random subset landed in a random order (the card's FTL persists
                pending writes in any order before the sync completes).

Variants are taken at each sync (cut before it completed) and where an application
operation returns. A state is identified by its file images and what was acknowledged;
the same images under the same obligation are explored once, under the first kind above.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field

from rig.crash.disk import Disk
from rig.crash.errors import CrashExplorationError
from rig.crash.trace import OpKind, Trace

KINDS = ("prefix", "dropped", "partial", "torn", "reordered")
TORN_MODES = ("half", "sector", "garbage")
SECTOR = 512
EXHAUSTIVE_REORDER = 3   # pending lists this short get every reordering, not a sample


@dataclass(frozen=True)
class TornWrite:
    op: int       # trace index of the write that tore
    mode: str     # one of TORN_MODES
    data: bytes   # what reached the card at the write's offset instead of its bytes


@dataclass(frozen=True)
class Limits:
    """Caps per crash point, so a long unsynced stretch (the ``no_fsync`` defect) stays
    bounded; beyond a cap, positions are sampled with the exploration's seeded generator."""

    partial_per_point: int = 12
    torn_per_point: int = 8
    reorders_per_point: int = 10

    def __post_init__(self) -> None:
        for name in ("partial_per_point", "torn_per_point", "reorders_per_point"):
            if getattr(self, name) < 1:
                raise CrashExplorationError(f"Limits.{name} must be >= 1, "
                                            f"got {getattr(self, name)}")


@dataclass(frozen=True)
class CrashState:
    kind: str
    crash_at: int                 # trace index: earlier ops were issued, this one was not
    applied: tuple[int, ...]      # pending ops (trace indices) that landed, in landing order
    torn: TornWrite | None
    acknowledged: int             # application operations that had returned
    in_flight: int | None         # the application operation cut short, if any
    app_op: str
    digest: str = field(compare=False)
    detail: str = field(compare=False)

    @property
    def key(self) -> tuple:
        """Identifies the state across runs with the same seed (file bytes may differ: SQLite
        salts each journal with a random nonce)."""
        torn = (self.torn.op, self.torn.mode) if self.torn else None
        return (self.kind, self.crash_at, self.applied, torn)

    def describe(self, trace: Trace) -> str:
        nxt = trace.ops[self.crash_at] if self.crash_at < len(trace.ops) else None
        where = ("after the last operation" if nxt is None
                 else f"during {nxt.describe()}" if nxt.kind is OpKind.SYNC
                 else f"before {nxt.describe()}")
        app = (f"in {self.app_op}" if self.in_flight is not None
               else f"after {self.app_op} returned")
        return f"{self.kind}: crash {where}, {app}; {self.detail}"

    def to_json(self, trace: Trace) -> dict:
        return {"kind": self.kind, "crash_at": self.crash_at, "app_op": self.app_op,
                "acknowledged_ops": self.acknowledged, "applied": list(self.applied),
                "torn": None if self.torn is None else {"op": self.torn.op,
                                                        "mode": self.torn.mode,
                                                        "bytes": len(self.torn.data)},
                "description": self.describe(trace)}


def durable_disk(trace: Trace, crash_at: int) -> Disk:
    """The card after every sync before ``crash_at`` completed and nothing else landed."""
    last_sync: dict[str, int] = {}
    for op in trace.ops[:crash_at]:
        if op.kind is OpKind.SYNC:
            last_sync[op.file] = op.index
    disk = Disk()
    for op in trace.ops[:crash_at]:
        if op.kind is not OpKind.SYNC and op.index < last_sync.get(op.file, -1):
            disk.apply(op)
    return disk


def build_disk(trace: Trace, state: CrashState) -> Disk:
    """The files of ``state``, rebuilt from the trace."""
    disk = durable_disk(trace, state.crash_at)
    for i in state.applied:
        disk.apply(trace.ops[i])
    if state.torn is not None:
        disk.apply(trace.ops[state.torn.op], state.torn.data)
    return disk


@dataclass
class _Generator:
    trace: Trace
    rng: random.Random
    limits: Limits
    states: list[CrashState] = field(default_factory=list)
    generated: Counter = field(default_factory=Counter)
    _seen: set = field(default_factory=set)

    def land(self, base: Disk, applied: list[int], torn: TornWrite | None = None) -> Disk:
        disk = base.copy()
        for i in applied:
            disk.apply(self.trace.ops[i])
        if torn is not None:
            disk.apply(self.trace.ops[torn.op], torn.data)
        return disk

    def emit(self, kind: str, disk: Disk, crash_at: int, applied: list[int],
             torn: TornWrite | None, detail: str) -> bool:
        """Keep the state unless the same images under the same obligation were seen."""
        flying = self.trace.in_flight_at(crash_at)
        acked = self.trace.acknowledged_at(crash_at)
        digest = disk.digest()
        self.generated[kind] += 1
        key = (digest, acked, flying.index if flying else None)
        if key in self._seen:
            return False
        self._seen.add(key)
        self.states.append(CrashState(kind, crash_at, tuple(applied), torn, acked,
                                      flying.index if flying else None,
                                      self.trace.app_op_at(crash_at), digest, detail))
        return True

    def variants(self, base: Disk, crash_at: int, pending: list[int]) -> None:
        n = len(pending)
        self.emit("dropped", base, crash_at, [], None, f"all {n} unsynced ops lost")
        for k in self._pick(list(range(1, n)), self.limits.partial_per_point):
            self.emit("partial", self.land(base, pending[:k]), crash_at, pending[:k], None,
                      f"first {k} of {n} unsynced ops landed")
        writes = [j for j, i in enumerate(pending) if self.trace.ops[i].kind is OpKind.WRITE]
        for j in self._pick(writes, self.limits.torn_per_point, keep_last=True):
            before = self.land(base, pending[:j])
            whole = self.land(before, [pending[j]])
            for torn in self._tear(pending[j]):
                op, disk = self.trace.ops[torn.op], self.land(before, [], torn)
                if disk.files == before.files or disk.files == whole.files:
                    continue  # the tear changed nothing visible: not a state of its own
                self.emit("torn", disk, crash_at, pending[:j], torn,
                          f"first {j} of {n} unsynced ops landed, then {op.describe()} tore "
                          f"({torn.mode}: {len(torn.data)} of {len(op.data)} bytes)")
        position = {i: p for p, i in enumerate(pending)}
        for order in self._orders(pending):
            rel = [position[i] for i in order]
            self.emit("reordered", self.land(base, order), crash_at, order, None,
                      f"{len(order)} of {n} unsynced ops landed, in the order {rel}")

    def _orders(self, pending: list[int]) -> list[list[int]]:
        """Landings other than an in-order prefix: every one for a short pending list, else a
        seeded sample of random subsets in random orders."""
        n, cap = len(pending), self.limits.reorders_per_point
        if n < 2:
            return []
        if n <= EXHAUSTIVE_REORDER:
            every = [list(p) for k in range(1, n + 1)
                     for p in itertools.permutations(pending, k) if list(p) != pending[:k]]
            return every if len(every) <= cap else self.rng.sample(every, cap)
        out: list[list[int]] = []
        for _ in range(4 * cap):
            k = self.rng.randint(1, n)
            order = self.rng.sample(pending, k)
            if order != pending[:k] and order not in out:
                out.append(order)
            if len(out) == cap:
                break
        return out

    def _pick(self, items: list[int], cap: int, keep_last: bool = False) -> list[int]:
        if len(items) <= cap:
            return items
        if keep_last:
            return sorted([*self.rng.sample(items[:-1], cap - 1), items[-1]])
        return sorted(self.rng.sample(items, cap))

    def _tear(self, index: int) -> list[TornWrite]:
        data = self.trace.ops[index].data
        out = []
        if len(data) > 1:
            out.append(TornWrite(index, "half", data[: len(data) // 2]))
        if len(data) > SECTOR:
            out.append(TornWrite(index, "sector", data[:SECTOR]))
        out.append(TornWrite(index, "garbage", self.rng.randbytes(len(data))))
        return out


def generate_states(trace: Trace, rng: random.Random,
                    limits: Limits | None = None) -> tuple[list[CrashState], Counter]:
    """Every distinct crash state of ``trace`` (capped per point), and how many each kind
    generated before duplicates were folded."""
    gen = _Generator(trace, rng, limits or Limits())
    ops = trace.ops
    variant_points = {op.index for op in ops if op.kind is OpKind.SYNC}
    app_ends = {a.end for a in trace.app_ops}
    variant_points |= app_ends
    durable, everything = Disk(), Disk()
    pending: list[int] = []   # indexes of the ops written since their file's last sync
    for c in range(len(ops) + 1):
        if c > 0 and (ops[c - 1].kind is not OpKind.SYNC or c in app_ends):
            gen.emit("prefix", everything, c, pending, None,
                     f"all {len(pending)} unsynced ops landed in order")
        if c in variant_points and pending:
            gen.variants(durable, c, pending)
        if c == len(ops):
            break
        op = ops[c]
        if op.kind is OpKind.SYNC:
            for i in pending:
                if ops[i].file == op.file:
                    durable.apply(ops[i])
            pending = [i for i in pending if ops[i].file != op.file]
        else:
            everything.apply(op)
            pending.append(c)
    return gen.states, gen.generated
