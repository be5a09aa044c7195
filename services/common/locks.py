"""Per-key locks: one request at a time changes a given sample or job, without stalling the others.

A change that calls another service holds its key's lock across the call (check → call → change), so two
requests for the same sample cannot both pass the check; requests for other samples, and reads, go on.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield
