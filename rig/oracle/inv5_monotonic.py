"""INV-5 monotonic chain state.

Redeemed cumulative and sequence strictly increase and no Redeemed event repeats a receipt;
the machine's mined transactions have gap-free nonces; and no receipt went into two mined
redeem transactions of the machine. The firmware re-broadcasts the *same* signed bytes after
a reboot or a lost response, so one receipt is one transaction; a second, even a reverted one,
means it signed the redeem again (a new nonce for old money): fail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from itertools import pairwise

from rig.history import MachineTx
from rig.oracle.errors import HistoryError
from rig.oracle.facts import Facts, arg
from rig.oracle.registry import Finding, Result, invariant


def _redeemed(f: Facts) -> list[Finding]:
    findings = []
    seen: set[tuple[int, int]] = set()
    for e in f.redeemed:
        receipt = (arg(e, "sequence"), arg(e, "cumulativeAmount"))
        if receipt in seen:
            findings.append(Finding(
                "fail", f"receipt sequence {receipt[0]} cumulative {receipt[1]} redeemed twice "
                        f"(again in block {e.block})", {"redeemed": [asdict(e)]},
                at=f.tx_moment(e.tx)))
        seen.add(receipt)
    for a, b in pairwise(f.redeemed):
        seq_a, cum_a = arg(a, "sequence"), arg(a, "cumulativeAmount")
        seq_b, cum_b = arg(b, "sequence"), arg(b, "cumulativeAmount")
        if (seq_a, cum_a) != (seq_b, cum_b) and not (seq_b > seq_a and cum_b > cum_a):
            findings.append(Finding(
                "fail", f"Redeemed went from sequence {seq_a} / cumulative {cum_a} to "
                        f"sequence {seq_b} / cumulative {cum_b} (block {b.block}): not strictly "
                        "increasing", {"redeemed": [asdict(a), asdict(b)]},
                at=f.tx_moment(b.tx), severity=max(cum_a - cum_b, 1)))
    return findings


def _nonces(f: Facts, txs: list[MachineTx]) -> list[Finding]:
    findings = []
    ordered = sorted(txs, key=lambda t: t.nonce)
    for a, b in pairwise(ordered):
        if b.nonce == a.nonce + 1:
            continue
        what = (f"two mined transactions share nonce {a.nonce}" if b.nonce == a.nonce
                else f"nonces {a.nonce + 1}..{b.nonce - 1} are missing between {a.hash} and "
                     f"{b.hash}")
        findings.append(Finding("fail", f"the machine's nonces are not gap-free: {what}",
                                {"machine_txs": [asdict(a), asdict(b)]},
                                at=f.tx_moment(b.hash), severity=abs(b.nonce - a.nonce - 1) or 1))
    return findings


def _double_submits(f: Facts) -> list[Finding]:
    channel = f.history.channel_id.lower()
    groups: dict[tuple[int, int], list[MachineTx]] = defaultdict(list)
    for t in f.history.machine_txs:
        if t.kind != "redeem":
            continue
        try:
            if str(t.args.get("channelId", channel)).lower() != channel:
                continue
            groups[(int(t.args["sequence"]), int(t.args["cumulativeAmount"]))].append(t)
        except (KeyError, TypeError, ValueError) as e:
            raise HistoryError(f"redeem transaction {t.hash} has undecodable arguments "
                               f"{t.args}: {e!r}") from e
    return [Finding("fail", f"receipt sequence {seq} cumulative {cum} went into "
                            f"{len(txs)} mined redeem transactions (nonces "
                            f"{', '.join(str(t.nonce) for t in txs)}): the redeem was signed "
                            "again", {"machine_txs": [asdict(t) for t in txs]},
                    at=f.tx_moment(txs[1].hash), severity=len(txs) - 1)
            for (seq, cum), txs in groups.items() if len(txs) > 1]


@invariant("INV-5", "monotonic chain state")
def monotonic(f: Facts) -> Result:
    txs = f.history.machine_txs
    findings = _redeemed(f) + _nonces(f, txs) + _double_submits(f)
    return Result(findings, f"{len(f.redeemed)} Redeemed events, {len(txs)} machine "
                            "transactions")
