"""INV-9 redeem on time: the redeem policy's deadlines hold while they run, not only at the end.

The final phase asks for a redeem, so a machine that stopped redeeming on its own ends in the
same state as one that did; this invariant judges the path. While the machine is online, its
unredeemed acknowledged value must not stay at or above ``settings["redeem_threshold"]``,
nor its oldest unredeemed acknowledged receipt stay unredeemed beyond
``settings["redeem_interval"]``, for longer than the tolerance

    TOLERANCE = 2 * (sync_interval + rpc_timeout) + 1 s

two sync rounds (each a sleep and at most one RPC timeout before the redeem is signed) and a
second for the checkpoint stream and the host's scheduler. Time comes from ground truth only,
never from the firmware's clock (a Pi may boot at the epoch, ``clock.rtc_reset``): the host
wall clock of checkpoints and timeline entries, plus the chain seconds that warps moved
(``warp`` steps and ``chain.time_warp``, which move chain time and the firmware clock
together; deadline.py ``warped_seconds``).

Obligations, per acknowledged receipt ``a`` (acknowledged.py):

- *threshold*: when ``a`` leaves the unredeemed value (``a.cumulative`` minus what the machine
  had redeemed by then) at or above the threshold, it is due at once, and met by the first
  redeem that leaves less than the threshold of ``a`` unredeemed (the rest is the
  interval's);
- *interval*: ``a`` is due at the first moment its age (host seconds + warped seconds since
  it was acknowledged) reaches the interval.

An obligation is met by the first redeem of the machine covering ``a`` (a ``Redeemed`` event
of a machine transaction with ``cumulativeAmount ≥ a.cumulative``; for the threshold, one
above ``a.cumulative - threshold``), at the moment the
firmware signed it (its ``redeem-signed`` checkpoint): what the firmware controls. It is
broken when, between its due moment and that redeem (or the end of the run), the machine was
online (online.py) for longer than the tolerance in one stretch. An online stretch counts
from the machine's first ``synced`` checkpoint in it: booting and the first RPC round after a
power cut or a network fault are not the policy's time. While an earlier redeem of the
machine is open (signed, not yet ``redeem-confirmed``) the firmware waits for it; the
obligation's clock starts when it is final. A close ends every obligation (the close window
is INV-7's), as does the run's ``final`` step: its own demanded redeem never counts as on
time for a receipt already overdue, because the overdue stretch came before it.

Interrupted operations are *info*, as elsewhere: an obligation overdue only across power
cuts or network faults (never online a whole tolerance before it was met), or met by a
redeem whose signing moment the checkpoints do not show.

Without both settings (a History recorded before they were collected) there is nothing to
check.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from rig.history import Mark, TimelineEntry
from rig.oracle.acknowledged import Ack
from rig.oracle.deadline import warped_seconds
from rig.oracle.effects import RUNNER_FINAL
from rig.oracle.errors import HistoryError
from rig.oracle.facts import Facts, arg
from rig.oracle.online import Connectivity, is_close_step, step_name
from rig.oracle.registry import Finding, Result, invariant

SLACK_S = 1.0


@dataclass(frozen=True)
class Policy:
    threshold: int
    interval: float
    tolerance: float

    def to_json(self) -> dict:
        return {"redeem_threshold": self.threshold, "redeem_interval_s": self.interval,
                "tolerance_s": self.tolerance}


@dataclass(frozen=True)
class Redeem:
    """A machine redeem and when the firmware signed it (None: unknown): one in the final
    chain, or one the node received that a reorg or a pool drop took out since."""

    cumulative: int
    at: float | None
    tx: str


def _number(settings: dict, key: str, default: float | None = None) -> float | None:
    value = settings.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise HistoryError(f"History.settings[{key!r}] must be a non-negative number, "
                           f"got {value!r}")
    return float(value)


def policy(settings: dict) -> Policy | None:
    threshold = _number(settings, "redeem_threshold")
    interval = _number(settings, "redeem_interval")
    if threshold is None or interval is None:
        return None
    sync = _number(settings, "sync_interval", 2.0) or 0.0
    rpc = _number(settings, "rpc_timeout", 3.0) or 0.0
    return Policy(int(threshold), interval, 2 * (sync + rpc) + SLACK_S)


def _redeems(f: Facts) -> list[Redeem]:
    """The machine's redeems, each at the moment it was signed: the policy is about signing
    on time. Those in the final chain, and those the node received (the RPC proxy saw them
    delivered) that are not in it: a reorg or a pool drop took them out, and a card restored
    from a backup may have forgotten them. Their payment is INV-2's to judge, not the
    policy's."""
    mine = f.machine_tx_hashes
    final = [Redeem(arg(e, "cumulativeAmount"), f.tx_moment(e.tx), e.tx)
             for e in f.redeemed if e.tx.lower() in mine]
    known = {r.tx.lower() for r in final}
    reached = {s.tx_hash.lower() for s in f.history.sent_to_node}
    gone: dict[str, Redeem] = {}
    for m in f.history.marks:
        tx = str(m.data.get("hash", "")).lower()
        if m.name == "redeem-signed" and tx in reached and tx not in known | gone.keys() \
                and isinstance(m.data.get("cumulative"), int):
            gone[tx] = Redeem(int(m.data["cumulative"]), m.at, tx)
    return final + list(gone.values())


def _open_redeems(marks: list[Mark]) -> list[tuple[float, float]]:
    """(signed, final) host moments of each machine redeem; final inf while never final."""
    signed: dict[str, float] = {}
    spans = []
    for m in sorted(marks, key=lambda m: (m.at, m.seq)):
        h = str(m.data.get("hash", "")).lower()
        if m.name == "redeem-signed":
            signed.setdefault(h, m.at)
        elif m.name == "redeem-confirmed" and h in signed:
            spans.append((signed.pop(h), m.at))
    spans += [(at, math.inf) for at in signed.values()]
    return spans


def _due_by_age(ack: Ack, interval: float, warps: list[TimelineEntry]) -> float:
    """The host moment ``ack``'s age (host + warped seconds) reaches ``interval``."""
    start, warped = ack.mark.at, 0
    for e in warps:
        if e.at <= start:
            continue
        if warped + (e.at - start) >= interval:
            break
        warped += warped_seconds(e)
        if warped + (e.at - start) >= interval:
            return e.at
    return start + max(0.0, interval - warped)


@dataclass(frozen=True)
class Obligation:
    ack: Ack
    why: str                 # threshold | interval
    due: float               # host moment it fell due
    met_by: Redeem | None

    def evidence(self, p: Policy, start: float, end: float) -> dict:
        return {"acknowledged": self.ack.evidence(), "obligation": self.why,
                "due_at": self.due, "clock_from": start,
                "until": None if math.isinf(end) else end,
                "met_by": asdict(self.met_by) if self.met_by else None, **p.to_json()}


class _Judge:
    def __init__(self, f: Facts, p: Policy):
        h = f.history
        self.f, self.p = f, p
        self.conn = Connectivity.from_timeline(h.timeline)
        self.synced = sorted(m.at for m in h.marks if m.name == "synced")
        self.open = _open_redeems(h.marks)
        entries = sorted(h.timeline, key=lambda e: e.at)
        ends = [e.at for e in entries if is_close_step(e) or step_name(e) == RUNNER_FINAL]
        last = max([e.at for e in entries] + [m.at for m in h.marks], default=0.0)
        self.end = min(ends, default=last)

    def acting(self, start: float, end: float) -> list[tuple[float, float]]:
        """Online stretches inside [start, end], each counted from the machine's first
        ``synced`` checkpoint in its whole online period (one before ``start`` counts)."""
        out = []
        for lo, hi in self.conn.online_periods(-math.inf, math.inf):
            first = next((t for t in self.synced if lo <= t <= hi), math.inf)
            lo, hi = max(first, start), min(hi, end)
            if lo < hi:
                out.append((lo, hi))
        return out

    def clock_start(self, due: float) -> float:
        """``due``, or later while an earlier redeem of the machine is still open."""
        start = due
        for signed, final in sorted(self.open):
            if signed <= start < final:
                start = final
        return start

    def judge(self, ob: Obligation) -> Finding | None:
        start = self.clock_start(ob.due)
        met = ob.met_by
        end = min(met.at if met and met.at is not None else math.inf, self.end)
        if met is not None and met.at is None:
            return Finding("info", f"receipt {ob.ack.sequence} was redeemed by {met.tx}, but "
                           "no redeem-signed checkpoint shows when the machine signed it",
                           {"obligation": [ob.evidence(self.p, start, end)]}, at=ob.due)
        if start >= end:
            return None
        for lo, hi in self.acting(start, end):
            if hi - lo > self.p.tolerance:
                late = lo + self.p.tolerance
                return Finding(
                    "fail",
                    f"receipt {ob.ack.sequence} (cumulative {ob.ack.cumulative}) was due for "
                    f"redeem by the {ob.why} at {ob.due:.3f} and stayed unredeemed while the "
                    f"machine was online {hi - lo:.1f} s in one stretch (tolerance "
                    f"{self.p.tolerance:.1f} s)"
                    + (" until the final phase asked"
                       if met is None or (met.at is not None and met.at >= self.end) else ""),
                    {"obligation": [ob.evidence(self.p, start, end)],
                     "online": [{"from": lo, "to": None if math.isinf(hi) else hi}]},
                    at=late, severity=ob.ack.cumulative)
        if met is None or (met.at is not None and met.at > self.end):
            return Finding("info", f"receipt {ob.ack.sequence} fell due by the {ob.why} at "
                           f"{ob.due:.3f} and was not redeemed before the end of the policy "
                           "window, but the machine was never online a whole tolerance "
                           "(power cuts or network faults interrupted it)",
                           {"obligation": [ob.evidence(self.p, start, end)]}, at=ob.due)
        return None


def obligations(f: Facts, p: Policy) -> list[Obligation]:
    redeems = _redeems(f)
    warps = sorted((e for e in f.history.timeline if warped_seconds(e)), key=lambda e: e.at)
    out = []

    def first(covering: int) -> Redeem | None:
        return min((r for r in redeems if r.cumulative >= covering),
                   key=lambda r: math.inf if r.at is None else r.at, default=None)

    for a in f.acks:
        before = max((r.cumulative for r in redeems
                      if r.at is not None and r.at <= a.mark.at), default=0)
        if a.cumulative - before >= p.threshold > 0:
            # Met once less than the threshold of ``a`` stays unredeemed: a redeem signed
            # just before ``a`` was persisted leaves its remainder to the interval.
            out.append(Obligation(a, "threshold", a.mark.at,
                                  first(a.cumulative - p.threshold + 1)))
        out.append(Obligation(a, "interval", _due_by_age(a, p.interval, warps),
                              first(a.cumulative)))
    return out


@invariant("INV-9", "redeem on time")
def redeem_on_time(f: Facts) -> Result:
    p = policy(f.history.settings)
    if p is None:
        return Result([], "no redeem_threshold / redeem_interval in the settings: nothing due")
    judge = _Judge(f, p)
    findings = []
    seen: set[tuple[int, str]] = set()
    for ob in obligations(f, p):
        finding = judge.judge(ob)
        key = (ob.ack.sequence, finding.outcome) if finding else (0, "")
        if finding is not None and key not in seen:
            seen.add(key)
            findings.append(finding)
    return Result(findings, f"{len(f.acks)} acknowledged receipt(s) against threshold "
                            f"{p.threshold} and interval {p.interval:g} s (tolerance "
                            f"{p.tolerance:.1f} s)")
