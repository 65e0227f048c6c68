"""What the proxy saw and did: per-method traffic counters and a log of link events.

Written on the proxy's loop, read from tests and reports on other threads (hence the lock).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

LOG_SIZE = 10_000


@dataclass(frozen=True)
class LinkEvent:
    at: float        # host wall clock
    link: int        # the proxy's id of the client connection (0 = the proxy itself)
    event: str       # open | close | reset | silent | hangup | response-dropped | ...
    detail: str


@dataclass(frozen=True)
class RawTxSent:
    """An ``eth_sendRawTransaction`` the proxy delivered to the node (rpcwatch.py)."""

    at: float            # host wall clock, once the request was written upstream
    link: int
    tx_hash: str         # keccak of the raw bytes, 0x hex
    tx_chain_id: int | None   # the chain id the transaction was signed for (None: legacy)


@dataclass(frozen=True)
class ChainIdAnswer:
    """The node's answer to ``eth_chainId``, as the proxy delivered it to the client."""

    at: float
    link: int
    chain_id: int | None   # None: the answer was an error or unreadable


@dataclass
class ProxyStats:
    seen: Counter[str] = field(default_factory=Counter)       # requests sent by clients
    forwarded: Counter[str] = field(default_factory=Counter)  # requests that reached the node
    answered: Counter[str] = field(default_factory=Counter)   # responses that reached clients
    events: Counter[str] = field(default_factory=Counter)
    bytes: Counter[str] = field(default_factory=Counter)      # stream → bytes delivered
    log: deque[LinkEvent] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    raw_txs: deque[RawTxSent] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    chain_ids: deque[ChainIdAnswer] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, link: int, event: str, detail: str = "") -> None:
        with self._lock:
            self.events[event] += 1
            self.log.append(LinkEvent(time.time(), link, event, detail))

    def count(self, which: str, methods: tuple[str, ...]) -> None:
        counter: Counter[str] = getattr(self, which)
        with self._lock:
            counter.update(methods or ("(not json-rpc)",))

    def watch(self, raw_txs: list[RawTxSent], chain_ids: list[ChainIdAnswer]) -> None:
        """Keep what INV-10 needs: the transactions sent to the node, its chain id answers."""
        with self._lock:
            self.raw_txs.extend(raw_txs)
            self.chain_ids.extend(chain_ids)

    def sent_raw(self) -> list[RawTxSent]:
        with self._lock:
            return list(self.raw_txs)

    def chain_id_answers(self) -> list[ChainIdAnswer]:
        with self._lock:
            return list(self.chain_ids)

    def delivered(self, stream: str, n: int) -> None:
        with self._lock:
            self.bytes[stream] += n

    def bytes_delivered(self, stream: str) -> int:
        """Bytes the proxy has written on ``stream`` (upstream: to the node)."""
        with self._lock:
            return self.bytes[stream]

    def event_count(self, event: str) -> int:
        with self._lock:
            return self.events[event]

    def method_count(self, which: str, method: str) -> int:
        """How many ``method`` requests were ``seen``/``forwarded``/``answered``."""
        with self._lock:
            return getattr(self, which)[method]

    def entries(self, event: str | None = None) -> list[LinkEvent]:
        with self._lock:
            return [e for e in self.log if event is None or e.event == event]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"seen": dict(self.seen), "forwarded": dict(self.forwarded),
                    "answered": dict(self.answered), "events": dict(self.events),
                    "bytes": dict(self.bytes)}
