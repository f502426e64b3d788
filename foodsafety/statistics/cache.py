"""A small in-process cache of computed tables, keyed by their arguments and data version.

Each web worker keeps its own (a table is a few kilobytes; `STATS_CACHE_ENTRIES` of them, least
recently used first out). A key names the data version it was computed at (`versions.stamp`),
so an entry is never stale: after a write the key changes and the old entry ages out. Requests
for a key being computed wait for that computation instead of starting their own.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
WAIT_SECONDS = 120  # a waiter computes on its own if the first computation takes longer
_create_lock = threading.Lock()


class ResultCache:
    """Least-recently-used results, one computation per key at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._running: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of `key` (a copy: callers may change it), else `compute()`'s."""
        waited = False
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return copy.deepcopy(self._entries[key])
                running = self._running.get(key)
                if running is None or waited:
                    self.misses += 1
                    mine = threading.Event()
                    self._running.setdefault(key, mine)
                    break
            waited = not running.wait(WAIT_SECONDS)
        try:
            value = compute()
            with self._lock:
                self._entries[key] = copy.deepcopy(value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                if self._running.get(key) is mine:
                    del self._running[key]
            mine.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def table_cache() -> ResultCache:
    """This application's cache (created on first use)."""
    extensions = current_app.extensions
    if "stats_cache" not in extensions:
        with _create_lock:
            extensions.setdefault("stats_cache",
                                  ResultCache(current_app.config["STATS_CACHE_ENTRIES"]))
    return extensions["stats_cache"]
