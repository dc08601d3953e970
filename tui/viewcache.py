"""What the dashboard has already read, kept so that going back to a view costs no query.

Each tab's numbers depend on only part of a view (the Articles tab ignores the granularity, the
Trends frame is the same for counts and shares), so entries are keyed by that part: undo, redo
and cycling through granularities or metrics come back to numbers already read. The store
changes only through imports; the dashboard empties the cache when it reloads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import polars as pl

from store.viewspec import ViewSpec

DEFAULT_BUDGET = 128 * 2**20  # bytes of frames kept, least recently used dropped first


def filter_key(spec: ViewSpec) -> tuple[Any, ...]:
    """The filters of a view (what the header's counts and the Articles tab depend on)."""
    return (spec.themes, spec.regions, spec.countries, spec.sources, spec.since, spec.until,
            spec.search)


def tab_key(tab: str, spec: ViewSpec) -> tuple[Any, ...]:
    """The part of `spec` that decides what `tab` shows.

    Trends depends on the granularity, the split by region and, for tone and for smoothing, the
    metric (the trends frame carries articles, total and share whatever the metric); Regions
    (the whole range, always split), Articles and Co-occurrence depend on the filters alone.
    """
    if tab == "trends":
        key = spec.replace(table="trends")
        if key.metric != "tone" and key.smooth <= 1:
            key = key.replace(metric="count")
        return (tab, key)
    return (tab, filter_key(spec))


def _size(value: Any) -> int:
    if isinstance(value, pl.DataFrame):
        return int(value.estimated_size())
    if isinstance(value, pl.Series):
        return int(value.estimated_size())
    if isinstance(value, tuple | list):
        return sum(_size(v) for v in value)
    return int(getattr(value, "nbytes", 0) or 0)


class ViewCache:
    """A thread-safe LRU of tab payloads within a byte budget (a worker fills it, the app
    reads it)."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._items: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, tab: str, spec: ViewSpec) -> tuple[Any, ...] | None:
        """The payload read for this tab and view, or None."""
        key = tab_key(tab, spec)
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, tab: str, spec: ViewSpec, payload: tuple[Any, ...]) -> None:
        """Keep `payload`; a payload larger than the whole budget is not kept."""
        key = tab_key(tab, spec)
        size = _size(payload)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.budget:
                return
            self._items[key] = (payload, size)
            self._bytes += size
            while self._bytes > self.budget and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        """Forget everything (the database changed)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        """Bytes held (estimated)."""
        return self._bytes
