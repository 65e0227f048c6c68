"""What the proxy notes for INV-10: the transactions it delivered to the node and the chain id
the node answered, read from whole JSON-RPC messages.

The proxy relays each request and its response as whole messages, so it can tell which
``eth_sendRawTransaction`` reached the node and what ``eth_chainId`` the node answered, at
the moment it happened (host wall clock). Malformed bodies are not an error here: a request
the proxy cannot read is recorded as what it can tell (nothing), never refused.
"""

from __future__ import annotations

import json
import time
from typing import Any

import rlp
from eth_utils import keccak

from rig.net.stats import ChainIdAnswer, RawTxSent

SEND_RAW = "eth_sendRawTransaction"
CHAIN_ID = "eth_chainId"


def _calls(body: bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    calls = doc if isinstance(doc, list) else [doc]
    return [c for c in calls if isinstance(c, dict)]


def _bytes(text: Any) -> bytes | None:
    if not isinstance(text, str) or not text.startswith("0x"):
        return None
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        return None


def tx_chain_id(raw: bytes) -> int | None:
    """The chain id a signed transaction commits to: field 0 of a typed (EIP-2718)
    transaction; from ``v`` for a legacy EIP-155 one; None when it names none."""
    try:
        if raw and raw[0] < 0x7F:
            fields = rlp.decode(raw[1:])
            return int.from_bytes(fields[0], "big")
        fields = rlp.decode(raw)
        v = int.from_bytes(fields[6], "big")
    except (rlp.exceptions.DecodingError, IndexError, TypeError):
        return None
    return (v - 35) // 2 if v >= 35 else None


def raw_txs_sent(link: int, body: bytes) -> list[RawTxSent]:
    """The raw transactions of a request the proxy just wrote to the node."""
    now, out = time.time(), []
    for call in _calls(body):
        if call.get("method") != SEND_RAW:
            continue
        params = call.get("params")
        raw = _bytes(params[0]) if isinstance(params, list) and params else None
        if raw is not None:
            out.append(RawTxSent(now, link, "0x" + keccak(raw).hex(), tx_chain_id(raw)))
    return out


def chain_id_answers(link: int, request: bytes, response: bytes) -> list[ChainIdAnswer]:
    """The node's ``eth_chainId`` answers in a response the proxy just delivered."""
    asked = {json.dumps(c.get("id")) for c in _calls(request) if c.get("method") == CHAIN_ID}
    if not asked:
        return []
    now, out = time.time(), []
    for reply in _calls(response):
        if json.dumps(reply.get("id")) not in asked:
            continue
        result = reply.get("result")
        try:
            value = int(result, 16) if isinstance(result, str) else None
        except ValueError:
            value = None
        out.append(ChainIdAnswer(now, link, value))
    return out
