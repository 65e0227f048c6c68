"""INV-10 no transaction to a foreign chain, on hand-made histories, and the proxy's reading
of the raw transactions and chain id answers it relays."""

from __future__ import annotations

import json

from eth_account import Account
from eth_utils import keccak

from rig.history import History, Mark, NodeChainId, SentToNode, TimelineEntry
from rig.net.rpcwatch import chain_id_answers, raw_txs_sent, tx_chain_id
from rig.oracle import check

CHAIN = 31337
OTHER = 31338
T0 = 1_000.0


def history() -> History:
    h = History("unit", 7, CHAIN, "0x" + "aa" * 20, "0x" + "ab" * 32, {1: 100},
                {"sync_interval": 0.3}, final_status={"credits": 0})
    h.timeline.append(TimelineEntry(T0 - 5, "boot", "step", {}, None))
    return h


def mismatch(h: History, fire: float, heal: float | None) -> None:
    h.timeline.append(TimelineEntry(fire, "chain.id_mismatch", "fire", {}, None))
    if heal is not None:
        h.timeline.append(TimelineEntry(heal, "chain.id_mismatch", "heal", {}, None))


def synced(h: History, *ats: float) -> None:
    for at in ats:
        h.marks.append(Mark(len(h.marks) + 1, at, 1, "synced", {}))


def send(h: History, at: float) -> None:
    h.sent_to_node.append(SentToNode(at, "0x" + f"{len(h.sent_to_node):064x}", CHAIN))


def inv10(h: History) -> tuple[str, list]:
    v = check(h).verdict("INV-10")
    return v.outcome, v.errors


def test_sends_outside_a_mismatch_hold():
    h = history()
    h.node_chain_ids.append(NodeChainId(T0, CHAIN))
    send(h, T0 + 0.1)
    mismatch(h, T0 + 1, T0 + 5)
    send(h, T0 + 6)
    assert inv10(h)[0] == "ok"


def test_a_send_after_the_node_answered_a_foreign_id_fails():
    h = history()
    mismatch(h, T0 + 1, T0 + 10)
    h.node_chain_ids.append(NodeChainId(T0 + 2, OTHER))
    send(h, T0 + 2.1)
    outcome, errors = inv10(h)
    assert outcome == "fail"
    assert errors[0].evidence["last_chain_id_answer"][0]["chain_id"] == OTHER
    assert errors[0].evidence["transactions"][0]["tx_chain_id"] == CHAIN


def test_a_machine_that_never_asks_fails():
    h = history()
    mismatch(h, T0 + 1, None)
    send(h, T0 + 3)
    outcome, errors = inv10(h)
    assert outcome == "fail" and "never asked" in errors[0].message


def test_a_round_that_checked_before_the_switch_is_info_a_later_round_is_fail():
    h = history()
    h.node_chain_ids.append(NodeChainId(T0 + 0.9, CHAIN))
    mismatch(h, T0 + 1, T0 + 10)
    send(h, T0 + 1.05)                              # the same round: concurrent
    assert inv10(h)[0] == "info"
    synced(h, T0 + 1.1)
    send(h, T0 + 1.5)                               # a round later, without asking
    assert inv10(h)[0] == "fail"


def test_an_answer_of_the_right_id_after_the_fire_entry_means_the_node_had_not_switched():
    h = history()
    mismatch(h, T0 + 1, T0 + 10)
    h.node_chain_ids.append(NodeChainId(T0 + 9.99, CHAIN))   # healed, entry not yet written
    send(h, T0 + 9.995)
    assert inv10(h)[0] == "ok"


def _signed(chain_id: int, legacy: bool = False) -> bytes:
    acct = Account.from_key("0x" + "11" * 32)
    tx: dict = {"to": "0x" + "22" * 20, "value": 1, "gas": 21_000, "nonce": 0,
                "chainId": chain_id}
    if legacy:
        tx["gasPrice"] = 10**9
    else:
        tx.update(maxFeePerGas=10**9, maxPriorityFeePerGas=1)
    return bytes(acct.sign_transaction(tx).raw_transaction)


def test_the_watcher_reads_the_raw_transaction_and_the_chain_id_answer():
    raw = _signed(CHAIN)
    assert tx_chain_id(raw) == CHAIN and tx_chain_id(_signed(5, legacy=True)) == 5
    body = json.dumps({"jsonrpc": "2.0", "id": 4, "method": "eth_sendRawTransaction",
                       "params": ["0x" + raw.hex()]}).encode()
    (sent,) = raw_txs_sent(3, body)
    assert sent.tx_hash == "0x" + keccak(raw).hex() and sent.link == 3
    ask = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "eth_chainId"}).encode()
    (answer,) = chain_id_answers(3, ask, json.dumps({"id": 9, "result": "0x7a6a"}).encode())
    assert answer.chain_id == 0x7A6A
    assert raw_txs_sent(1, b"not json") == [] and chain_id_answers(1, body, b"{}") == []
