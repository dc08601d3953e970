"""The dashboard's cache of what it has read: keys, budget, clearing."""

from __future__ import annotations

import polars as pl

from store.viewspec import ViewSpec
from tui.viewcache import ViewCache, tab_key

BASE = ViewSpec(themes=("censorship",), regions=("Africa",))


def test_count_and_share_share_one_trends_read() -> None:
    assert tab_key("trends", BASE) == tab_key("trends", BASE.replace(metric="share"))
    assert tab_key("trends", BASE) == tab_key("trends", BASE.replace(table="spikes"))
    assert tab_key("trends", BASE) != tab_key("trends", BASE.replace(metric="tone"))
    assert tab_key("trends", BASE) != tab_key("trends", BASE.replace(every="week"))
    assert tab_key("trends", BASE) != tab_key("trends", BASE.replace(by_region=True))
    smoothed = BASE.replace(smooth=3)
    assert tab_key("trends", smoothed) != tab_key("trends", smoothed.replace(metric="share"))


def test_filter_only_tabs_ignore_the_shape_of_the_view() -> None:
    for tab in ("regions", "articles", "cooccurrence"):
        shaped = BASE.replace(every="year", metric="share", by_region=True, smooth=4)
        assert tab_key(tab, BASE) == tab_key(tab, shaped)
        assert tab_key(tab, BASE) != tab_key(tab, BASE.replace(themes=("state-media",)))
        assert tab_key(tab, BASE) != tab_key(tab, BASE.replace(search="port"))


def _frame(rows: int) -> pl.DataFrame:
    return pl.DataFrame({"x": list(range(rows))}, schema={"x": pl.Int64})


def test_least_recently_used_goes_first_within_the_budget() -> None:
    cache = ViewCache(budget=8 * 2500)  # room for two frames of 1,000 Int64
    a, b, c = (BASE.replace(themes=(t,)) for t in ("censorship", "state-media", "united-front"))
    cache.put("articles", a, (_frame(1000),))
    cache.put("articles", b, (_frame(1000),))
    assert cache.get("articles", a) is not None  # a is now the most recent
    cache.put("articles", c, (_frame(1000),))
    assert cache.get("articles", b) is None
    assert cache.get("articles", a) is not None and cache.get("articles", c) is not None
    assert cache.bytes <= cache.budget
    cache.put("articles", BASE.replace(themes=("x",)), (_frame(10_000),))  # over the budget
    assert cache.get("articles", BASE.replace(themes=("x",))) is None
    cache.clear()
    assert len(cache) == 0 and cache.bytes == 0
    assert cache.get("articles", a) is None
