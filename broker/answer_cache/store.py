"""Answers kept in one process's memory, each with the counters (`generations`) it was computed under."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from broker.answer_cache.generations import Fingerprint


class AnswerStore:
    """Response bodies by key, least recently used first out; bounded by count and by bytes.

    `get` hands a body back only if it was stored under the same fingerprint: a body computed under other
    counters is stale (or, rarely, newer than the caller's counters: either way it is computed again)."""

    def __init__(self, entries: int, max_bytes: int) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.hits = 0  # answers served again (tests read it)
        self._bytes = 0
        self._items: OrderedDict[Hashable, tuple[Fingerprint, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.entries > 0

    def get(self, key: Hashable, fingerprint: Fingerprint) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != fingerprint:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Hashable, fingerprint: Fingerprint, body: bytes) -> None:
        if not self.enabled or len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._items[key] = (fingerprint, body)
            self._bytes += len(body)
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= len(evicted)
